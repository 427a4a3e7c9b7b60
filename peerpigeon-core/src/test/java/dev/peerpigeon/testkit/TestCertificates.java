package dev.peerpigeon.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed server certificates for TLS tests, made with the JDK's keytool (EC P-256, CN=localhost, SAN
 * 127.0.0.1 and localhost unless given, valid 2 days): the PKCS12 store and the same key as PEM (chain + PKCS#8 key).
 */
public final class TestCertificates {
    public static final char[] PASSWORD = "changeit".toCharArray();

    /** One generated certificate and its files. */
    public record Files3(Path p12, Path certPem, Path keyPem, X509Certificate certificate) {
    }

    private TestCertificates() {
    }

    /** Generates a new key and certificate into {@code dir} as {@code name.p12}, {@code name.crt}, {@code name.key}. */
    public static Files3 generate(Path dir, String name) throws IOException, InterruptedException, GeneralSecurityException {
        return generate(dir, name, "ip:127.0.0.1,dns:localhost");
    }

    /** As {@link #generate(Path, String)}, for the given subject alternative names (keytool's SAN syntax). */
    public static Files3 generate(Path dir, String name, String san)
            throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path p12 = dir.resolve(name + ".p12");
        Files.deleteIfExists(p12);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=" + san, "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASSWORD);
        }
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path certPem = dir.resolve(name + ".crt");
        Path keyPem = dir.resolve(name + ".key");
        X509Certificate cert = (X509Certificate) ks.getCertificate("server");
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n"
                + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("server", PASSWORD).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return new Files3(p12, certPem, keyPem, cert);
    }
}
