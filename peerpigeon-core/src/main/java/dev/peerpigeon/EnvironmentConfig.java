package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.support.Redaction;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Maps the reference server's environment variables onto a builder: PORT, HOST, MAX_CONNECTIONS, CORS_ORIGIN,
 * TRUSTED_PROXIES (comma list of IPs/CIDRs), STATUS_PAGE, HUB_MESH_NAMESPACE, IS_HUB, BOOTSTRAP / BOOTSTRAP_HUBS (comma lists, merged), HUB_ID, HUB_ADVERTISE_URI,
 * HUB_MESH_MIN_PEERS, HUB_MESH_MAX_PEERS, AUTO_CONNECT, plus
 * HUB_SECRET, ALLOW_UNAUTHENTICATED_HUBS, VERBOSE_LOGGING, METRICS, PEER_TIMEOUT (ms), PING_INTERVAL (ms), MAX_MISSED_PINGS,
 * MAX_CONNECTIONS_PER_IP,
 * MAX_CONNECTIONS_PER_IP_PER_SECOND, MAX_MESSAGES_PER_SECOND (burst twice that; 0 disables), WORKER_THREADS and
 * HANDSHAKE_TIMEOUT (ms), TLS_CERT_FILE + TLS_KEY_FILE or TLS_KEYSTORE + TLS_KEYSTORE_PASSWORD, TLS_TRUST_FILE,
 * REDIS_URL (cluster mode). Unset or empty variables keep the default; every failure names the variable (and never
 * echoes a value that may hold a secret). Stateless.
 */
final class EnvironmentConfig {
    private final Map<String, String> env;

    private EnvironmentConfig(Map<String, String> env) {
        this.env = env;
    }

    /** A builder with the variables of {@code env} applied. */
    static PeerPigeonServer.Builder read(Map<String, String> env) {
        PeerPigeonServer.Builder b = PeerPigeonServer.builder();
        EnvironmentConfig r = new EnvironmentConfig(env);
        r.integer("PORT", b::port);
        r.string("HOST", b::host);
        r.integer("MAX_CONNECTIONS", b::maxConnections);
        r.string("CORS_ORIGIN", b::corsOrigin);
        r.string("HUB_MESH_NAMESPACE", b::hubMeshNamespace);
        r.bool("IS_HUB", b::isHub);
        List<URI> bootstrap = new ArrayList<>();
        r.uris("BOOTSTRAP", bootstrap);
        r.uris("BOOTSTRAP_HUBS", bootstrap);
        if (!bootstrap.isEmpty()) {
            r.apply("BOOTSTRAP", () -> b.bootstrapHubs(bootstrap));
        }
        r.string("HUB_ID", b::hubPeerId);
        r.string("HUB_ADVERTISE_URI", v -> b.hubAdvertiseUri(java.net.URI.create(v.trim())));
        r.integer("HUB_MESH_MIN_PEERS", b::hubMeshMinPeers);
        r.integer("HUB_MESH_MAX_PEERS", b::hubMeshMaxPeers);
        r.bool("AUTO_CONNECT", b::autoConnect);
        r.string("HUB_SECRET", b::hubSecret);
        r.bool("ALLOW_UNAUTHENTICATED_HUBS", b::allowUnauthenticatedHubs);
        r.bool("VERBOSE_LOGGING", b::verboseLogging);
        r.bool("METRICS", b::metrics);
        r.integer("PEER_TIMEOUT", v -> b.peerTimeout(v));
        r.integer("PING_INTERVAL", v -> b.pingInterval(v));
        r.integer("MAX_MISSED_PINGS", b::maxMissedPings);
        r.integer("MAX_CONNECTIONS_PER_IP", b::maxConnectionsPerIp);
        r.integer("MAX_CONNECTIONS_PER_IP_PER_SECOND", b::maxConnectionsPerIpPerSecond);
        r.integer("MAX_MESSAGES_PER_SECOND", n -> b.maxMessagesPerSecond(n, 2 * n));
        r.integer("WORKER_THREADS", b::workerThreads);
        r.integer("HANDSHAKE_TIMEOUT", v -> b.handshakeTimeout(v));
        r.tls(b);
        r.bool("STATUS_PAGE", b::statusPage);
        r.string("REDIS_URL", b::redisUrl);
        r.string("TRUSTED_PROXIES", v -> b.trustedProxies(List.of(v.split("\\s*,\\s*"))));
        return b;
    }

    /**
     * TLS_CERT_FILE + TLS_KEY_FILE (PEM) or TLS_KEYSTORE + TLS_KEYSTORE_PASSWORD (PKCS12). A missing or bad file
     * fails naming its variable; the password is never echoed.
     */
    private void tls(PeerPigeonServer.Builder b) {
        String trust = get("TLS_TRUST_FILE");
        if (trust != null) {
            try {
                b.tlsTrust(dev.peerpigeon.support.TlsFiles.trusting(java.nio.file.Path.of(trust)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("Environment variable TLS_TRUST_FILE: " + e.getMessage());
            }
        }
        String cert = get("TLS_CERT_FILE");
        String key = get("TLS_KEY_FILE");
        String store = get("TLS_KEYSTORE");
        if (store != null && (cert != null || key != null)) {
            throw new ConfigException("Environment variables TLS_KEYSTORE and TLS_CERT_FILE/TLS_KEY_FILE exclude each other");
        }
        if ((cert == null) != (key == null)) {
            throw new ConfigException("Environment variable " + (cert == null ? "TLS_CERT_FILE" : "TLS_KEY_FILE")
                    + " must be set together with " + (cert == null ? "TLS_KEY_FILE" : "TLS_CERT_FILE"));
        }
        try {
            if (cert != null) {
                b.tls(dev.peerpigeon.support.TlsFiles.fromPem(java.nio.file.Path.of(cert), java.nio.file.Path.of(key)));
            } else if (store != null) {
                String pw = env.get("TLS_KEYSTORE_PASSWORD");
                b.tls(dev.peerpigeon.support.TlsFiles.fromPkcs12(java.nio.file.Path.of(store),
                        pw == null ? new char[0] : pw.toCharArray()));
            }
        } catch (IllegalArgumentException e) { // InvalidPathException too
            String m = String.valueOf(e.getMessage());
            String name = store != null ? "TLS_KEYSTORE" : m.startsWith("key file") ? "TLS_KEY_FILE"
                    : m.startsWith("certificate file") ? "TLS_CERT_FILE" : "TLS_CERT_FILE/TLS_KEY_FILE";
            throw new ConfigException("Environment variable " + name + ": " + m);
        }
    }

    private String get(String name) {
        String v = env.get(name);
        return v == null || v.trim().isEmpty() ? null : v.trim();
    }

    private void apply(String name, Runnable action) {
        try {
            action.run();
        } catch (ConfigException e) {
            throw new ConfigException("Environment variable " + name + ": " + e.getMessage());
        }
    }

    private void string(String name, Consumer<String> setter) {
        String v = get(name);
        if (v != null) {
            apply(name, () -> setter.accept(v));
        }
    }

    private void integer(String name, IntConsumer setter) {
        String v = get(name);
        if (v == null) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigException("Environment variable " + name + " must be an integer, got '" + v + "'");
        }
        apply(name, () -> setter.accept(n));
    }

    private void bool(String name, Consumer<Boolean> setter) {
        String v = get(name);
        if (v == null) {
            return;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> setter.accept(true);
            case "false", "0", "no" -> setter.accept(false);
            default -> throw new ConfigException("Environment variable " + name
                    + " must be true or false, got '" + v + "'");
        }
    }

    private void uris(String name, List<URI> out) {
        String v = get(name);
        if (v == null) {
            return;
        }
        int index = 0;
        for (String part : v.split(",")) {
            String s = part.trim();
            index++;
            if (s.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(s);
            } catch (IllegalArgumentException e) {
                // Not echoed: the text may hold a password or a secret.
                throw new ConfigException("Environment variable " + name + ": entry " + index
                        + " is not a valid URI (at index " + (e.getCause() instanceof java.net.URISyntaxException u
                        ? u.getIndex() : -1) + ")");
            }
            try {
                out.add(ServerConfig.checkHubUri(uri));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("Environment variable " + name + ": '" + Redaction.toString(uri)
                        + "' is not a ws:// or wss:// URI (" + e.getMessage() + ")");
            }
        }
    }
}
