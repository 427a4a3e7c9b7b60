package dev.peerpigeon.transport;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.TlsFiles;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.TestCertificates;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11 item 2: certificates are reloaded when their files change, without dropping connections; a change
 * that cannot be used keeps the previous certificate.
 */
@ExtendWith(TestLogs.Scope.class)
class TlsReloadTest {

    /** The certificate a new TLS handshake with the server gets. */
    private static X509Certificate served(SSLContext trust, int port) throws Exception {
        try (SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    /** Replaces {@code target} atomically, as certbot and Kubernetes secret updates do. */
    private static void replace(Path source, Path target) throws Exception {
        Path tmp = target.resolveSibling(target.getFileName() + ".new");
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void changedPemFilesServeTheNewCertificateAndOpenConnectionsStay() throws Exception {
        Path dir = Path.of("target", "tls-reload");
        TestCertificates.Files3 a = TestCertificates.generate(dir, "a");
        TestCertificates.Files3 b = TestCertificates.generate(dir, "b");
        Path cert = dir.resolve("live.crt");
        Path key = dir.resolve("live.key");
        replace(a.certPem(), cert);
        replace(a.keyPem(), key);
        Path both = dir.resolve("both.crt");
        Files.writeString(both, Files.readString(a.certPem()) + Files.readString(b.certPem()));
        SSLContext trust = TlsFiles.trusting(both);

        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").tlsPem(cert, key)
                .maxConnectionsPerIpPerSecond(10_000).build().start()) {
            int port = server.getPort();
            assertThat(served(trust, port)).isEqualTo(a.certificate());
            String idA = PeerId.generate();
            String idB = PeerId.generate();
            URI base = URI.create("wss://127.0.0.1:" + port + "/?peerId=");
            try (TestClient one = TestClient.connect(URI.create(base + idA), idA, trust).announce("reload");
                 TestClient two = TestClient.connect(URI.create(base + idB), idB, trust).announce("reload")) {
                one.awaitDiscovered(two.peerId());

                replace(b.certPem(), cert);
                replace(b.keyPem(), key);
                Await.until("a new handshake gets the new certificate", Duration.ofSeconds(10),
                        () -> b.certificate().equals(servedQuietly(trust, port)));
                TestLogs.awaitLine(Duration.ofSeconds(5), "TLS certificate reloaded");
                // The connections made with the old certificate were not dropped: they still relay both ways.
                Bystanders.relay(one, two);
                Bystanders.relay(two, one);

                // A key file that does not match (another certificate's key): refused, the current one stays.
                // (Files are checked when a handshake asks for the key: each poll is one.)
                long mark = TestLogs.mark();
                replace(a.keyPem(), key);
                Await.until("the mismatched key refused", Duration.ofSeconds(10), () -> {
                    assertThat(servedQuietly(trust, port)).isEqualTo(b.certificate());
                    return TestLogs.linesSince(mark).stream().anyMatch(l ->
                            l.contains("TLS files changed but cannot be used") && l.contains("does not match"));
                });
                assertThat(served(trust, port)).isEqualTo(b.certificate());
                Bystanders.relay(one, two);
            }
        }
    }

    private static X509Certificate servedQuietly(SSLContext trust, int port) {
        try {
            return served(trust, port);
        } catch (Exception e) {
            throw new AssertionError("handshake failed during the reload", e);
        }
    }
}
