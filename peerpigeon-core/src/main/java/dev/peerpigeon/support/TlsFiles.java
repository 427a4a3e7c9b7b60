package dev.peerpigeon.support;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds server {@link SSLContext}s from files: PEM (certificate chain + PKCS#8 RSA or EC key) or PKCS12,
 * following the files when they change. Stateless (the reload state is the contexts' key managers'). Errors are {@link IllegalArgumentException}s whose message names the file's role, never its
 * contents or the password.
 */
public final class TlsFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private TlsFiles() {
    }

    /**
     * A server context from a PEM certificate chain and a PEM PKCS#8 private key (RSA or EC), reloaded when the
     * files change (see {@link ReloadingKeyManager}).
     */
    public static SSLContext fromPem(Path certFile, Path keyFile) {
        return reloading(List.of(certFile, keyFile), () -> pemKeyStore(certFile, keyFile));
    }

    private static ReloadingKeyManager.Loaded pemKeyStore(Path certFile, Path keyFile) {
        List<Certificate> chain = certificates(certFile, "certificate file");
        PrivateKey key = privateKey(keyFile);
        requireMatch(chain.get(0), key, certFile, keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = new char[0];
            ks.setKeyEntry("server", key, pw, chain.toArray(new Certificate[0]));
            return new ReloadingKeyManager.Loaded(ks, pw);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("certificate file " + certFile + " and key file " + keyFile
                    + " do not make a usable key: " + e.getMessage(), e);
        }
    }

    /**
     * Signs a probe with the key and verifies it with the certificate: a key file of another certificate (or a
     * reload that caught one file replaced and not the other yet) is refused here, not in every handshake.
     */
    private static void requireMatch(Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
        String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        try {
            byte[] probe = "peerpigeon key check".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature sign = java.security.Signature.getInstance(alg);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            java.security.Signature verify = java.security.Signature.getInstance(alg);
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            if (verify.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a key of another type than the certificate's: no match
        }
        throw new IllegalArgumentException("key file " + keyFile + " does not match the certificate in " + certFile);
    }

    /** A server context from a PKCS12 key store, reloaded when the file changes. */
    public static SSLContext fromPkcs12(Path keystore, char[] password) {
        char[] pw = password.clone(); // kept for reloads; the caller may wipe its own copy
        return reloading(List.of(keystore), () -> {
            try (InputStream in = Files.newInputStream(keystore)) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(in, pw);
                return new ReloadingKeyManager.Loaded(ks, pw);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("key store " + keystore + " cannot be read: "
                        + e.getClass().getSimpleName(), e);
            }
        });
    }

    private static SSLContext reloading(List<Path> files, java.util.function.Supplier<ReloadingKeyManager.Loaded> loader) {
        ReloadingKeyManager keys = new ReloadingKeyManager(files, loader);
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[] {keys}, null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS cannot be set up: " + e.getMessage(), e);
        }
    }

    /** A client context trusting the JVM's default CAs plus the PEM certificates in {@code trustFile}. */
    public static SSLContext trusting(Path trustFile) {
        List<Certificate> extra = certificates(trustFile, "trust file");
        try {
            javax.net.ssl.TrustManagerFactory def = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            def.init((KeyStore) null);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (javax.net.ssl.TrustManager tm : def.getTrustManagers()) {
                if (tm instanceof javax.net.ssl.X509TrustManager x) {
                    for (Certificate c : x.getAcceptedIssuers()) {
                        ks.setCertificateEntry("default-" + i++, c);
                    }
                }
            }
            for (Certificate c : extra) {
                ks.setCertificateEntry("extra-" + i++, c);
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("trust file " + trustFile + " cannot be used: " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(Path file, String role) {
        List<Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(file, role, "CERTIFICATE")) {
                out.add(cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(role + " " + file + " holds a certificate that cannot be parsed", e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(role + " " + file + " holds no PEM certificate");
        }
        return out;
    }

    private static PrivateKey privateKey(Path file) {
        List<byte[]> keys = blocks(file, "key file", "PRIVATE KEY");
        if (keys.size() != 1) {
            throw new IllegalArgumentException("key file " + file + " must hold exactly one PEM PKCS#8 PRIVATE KEY");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(keys.get(0));
        for (String alg : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("key file " + file + " is not a PKCS#8 RSA or EC key");
    }

    private static List<byte[]> blocks(Path file, String role, String type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(role + " " + file + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
        List<byte[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                try {
                    out.add(Base64.getMimeDecoder().decode(m.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(role + " " + file + " holds bad base64", e);
                }
            }
        }
        return out;
    }
}
