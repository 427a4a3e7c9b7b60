package dev.peerpigeon.support;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A server key manager that follows its files: when a handshake asks for the key and the files changed (checked
 * at most once per {@link #CHECK_MILLIS} ms: modification time, size and file identity of each, so an atomic
 * replace or a moved symlink counts), the key store is loaded again and new handshakes get the new certificate.
 * Open connections keep theirs (their handshake is over). A change that cannot be loaded (half-written files, a
 * key that does not match) is logged once and the previous certificate stays in use.
 *
 * <p>Aliases carry their generation ({@code "3/server"}), so a handshake that chose its alias just before a
 * reload still gets that generation's chain and key; the previous generation is kept for that.
 *
 * <p>Threads: called on the TLS engines' delegated-task threads. The generations are immutable and published
 * through volatile fields; a reload is serialized by this object's monitor. No thread of its own.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);
    static final long CHECK_MILLIS = 1000;

    record Loaded(KeyStore keyStore, char[] password) {
    }

    private record Generation(int id, X509KeyManager keys, List<Object> stamps) {
    }

    private final List<Path> files;
    /** Loads the key store and its password from the files (throws IllegalArgumentException naming the file). */
    private final Supplier<Loaded> loader;
    private volatile Generation current;
    private volatile Generation previous;
    private volatile long nextCheck;
    /** The stamps of the last change that failed to load (logged once). Guarded by this. */
    private List<Object> failedStamps;

    /** Loads now: a bad file fails here, with the loader's message (the launcher's exit 2). */
    ReloadingKeyManager(List<Path> files, Supplier<Loaded> loader) {
        this.files = List.copyOf(files);
        this.loader = loader;
        List<Object> stamps = stamps();
        this.current = new Generation(1, keyManager(loader.get()), stamps);
        this.nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CHECK_MILLIS);
    }

    private List<Object> stamps() {
        List<Object> out = new ArrayList<>();
        for (Path f : files) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                out.add(List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey())));
            } catch (IOException | RuntimeException e) {
                out.add("unreadable"); // compared like any stamp: a file that comes back is a change
            }
        }
        return out;
    }

    private static X509KeyManager keyManager(Loaded loaded) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(loaded.keyStore(), loaded.password());
            for (javax.net.ssl.KeyManager km : kmf.getKeyManagers()) {
                if (km instanceof X509KeyManager x) {
                    return x;
                }
            }
            throw new IllegalArgumentException("the key store holds no X.509 key");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key store cannot be used: " + e.getMessage(), e);
        }
    }

    /** The generation to serve now, reloaded first when the files changed. */
    private Generation fresh() {
        long now = System.nanoTime();
        if (now - nextCheck < 0) {
            return current;
        }
        synchronized (this) {
            if (now - nextCheck < 0) {
                return current;
            }
            nextCheck = now + TimeUnit.MILLISECONDS.toNanos(CHECK_MILLIS);
            List<Object> stamps = stamps();
            Generation g = current;
            if (stamps.equals(g.stamps()) || stamps.equals(failedStamps)) {
                return g;
            }
            try {
                Generation next = new Generation(g.id() + 1, keyManager(loader.get()), stamps);
                previous = g;
                current = next;
                failedStamps = null;
                log.info("TLS certificate reloaded from {} (new handshakes use it; open connections keep theirs)", files);
                return next;
            } catch (IllegalArgumentException e) {
                failedStamps = stamps;
                log.warn("TLS files changed but cannot be used, keeping the previous certificate: {}", e.getMessage());
                return g;
            }
        }
    }

    private Generation generationOf(String alias) {
        int slash = alias == null ? -1 : alias.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        String id = alias.substring(0, slash);
        for (Generation g : new Generation[] {current, previous}) {
            if (g != null && id.equals(Integer.toString(g.id()))) {
                return g;
            }
        }
        return null;
    }

    private static String tagged(Generation g, String alias) {
        return alias == null ? null : g.id() + "/" + alias;
    }

    private static String untagged(String alias) {
        return alias.substring(alias.indexOf('/') + 1);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        Generation g = fresh();
        String alias = g.keys() instanceof X509ExtendedKeyManager x
                ? x.chooseEngineServerAlias(keyType, issuers, engine) : g.keys().chooseServerAlias(keyType, issuers, null);
        return tagged(g, alias);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        Generation g = fresh();
        return tagged(g, g.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Generation g = current;
        String[] aliases = g.keys().getServerAliases(keyType, issuers);
        if (aliases == null) {
            return null;
        }
        String[] out = new String[aliases.length];
        for (int i = 0; i < aliases.length; i++) {
            out[i] = tagged(g, aliases[i]);
        }
        return out;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Generation g = generationOf(alias);
        return g == null ? null : g.keys().getCertificateChain(untagged(alias));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Generation g = generationOf(alias);
        return g == null ? null : g.keys().getPrivateKey(untagged(alias));
    }

    // A server's key manager: no client certificates.
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    @Override
    public String toString() {
        return "ReloadingKeyManager" + Objects.toString(files);
    }
}
