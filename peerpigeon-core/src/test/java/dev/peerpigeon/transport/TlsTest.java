package dev.peerpigeon.transport;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.TlsFiles;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.TestCertificates;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 11 item 2: TLS built in. A certificate is generated at test time ({@link TestCertificates}, into target/).
 */
class TlsTest {
    private static final char[] PASSWORD = TestCertificates.PASSWORD;
    private static Path dir;
    private static Path p12;
    private static Path certPem;
    private static Path keyPem;
    private static SSLContext trust;

    @BeforeAll
    static void certificates() throws Exception {
        dir = Path.of("target", "tls-test");
        TestCertificates.Files3 files = TestCertificates.generate(dir, "server");
        p12 = files.p12();
        certPem = files.certPem();
        keyPem = files.keyPem();
        trust = TlsFiles.trusting(certPem);
    }

    private static PeerPigeonServer pemServer() {
        return PeerPigeonServer.builder().port(0).host("127.0.0.1").tlsPem(certPem, keyPem).build().start();
    }

    private static URI wss(PeerPigeonServer server, String peerId) {
        return URI.create("wss://127.0.0.1:" + server.getPort() + "/?peerId=" + peerId);
    }

    @Test
    void clientsThatCloseRightAfterTheirHandshakeLeaveTheServerServing() throws Exception {
        // Under -ea (as here) Java-WebSocket's handshake assertion (#190) fired for such clients and killed the
        // selector thread, and the server with it.
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").tlsPem(certPem, keyPem)
                .maxConnectionsPerIpPerSecond(10_000).build().start()) {
            for (int i = 0; i < 50; i++) {
                try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trust.getSocketFactory()
                        .createSocket("127.0.0.1", server.getPort())) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                }
            }
            String a = PeerId.generate();
            String b = PeerId.generate();
            try (TestClient one = TestClient.connect(wss(server, a), a, trust).announce("tls");
                 TestClient two = TestClient.connect(wss(server, b), b, trust).announce("tls")) {
                one.awaitDiscovered(b);
                Bystanders.relay(one, two);
            }
            assertThat(server.isRunning()).isTrue();
        }
    }

    @Test
    void httpsHealthAndWssUriOnTheSamePort() throws Exception {
        try (PeerPigeonServer server = pemServer()) {
            assertThat(server.uri().getScheme()).isEqualTo("wss");
            javax.net.ssl.HttpsURLConnection c = (javax.net.ssl.HttpsURLConnection)
                    URI.create("https://127.0.0.1:" + server.getPort() + "/health").toURL().openConnection();
            c.setSSLSocketFactory(trust.getSocketFactory());
            c.setConnectTimeout(10_000);
            c.setReadTimeout(10_000);
            assertThat(c.getResponseCode()).isEqualTo(200);
            try (InputStream in = c.getInputStream()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("healthy");
            }
        }
    }

    @Test
    void wssRelaysBetweenTwoPeersWithBystandersFromAPkcs12KeyStore() {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .tls(TlsFiles.fromPkcs12(p12, PASSWORD)).build().start()) {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    String id = PeerId.generate();
                    clients.add(TestClient.connect(wss(server, id), id, trust).announce("tls"));
                }
                TestClient a = clients.get(0);
                TestClient b = clients.get(1);
                a.awaitDiscovered(b.peerId());
                Bystanders.relay(a, b);
                Bystanders.relay(b, a);
                // Another pair, once its sender knows the receiver: an announce is handled on the connection's
                // own turn, so one that arrived before a and b's relays may still be pending after them.
                clients.get(2).awaitDiscovered(clients.get(3).peerId());
                Bystanders.relay(clients.get(2), clients.get(3));
                // A large offer crosses TLS records intact.
                a.offer(b.peerId(), "v=0 " + "y".repeat(200_000));
                b.await("large offer", o -> TestClient.isType(o, "offer")
                        && o.getAsJsonObject("data").get("sdp").getAsString().length() == 200_004);
            } finally {
                clients.forEach(TestClient::close);
            }
        }
    }

    @Test
    void stalledTlsHandshakesAreClosedAfterTheHandshakeTimeout() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").tlsPem(certPem, keyPem)
                .maxConnectionsPerIp(400).maxConnectionsPerIpPerSecond(10_000).handshakeTimeout(3000).build().start()) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 10_000);
                    s.setSoTimeout(15_000);
                    idle.add(s);
                }
                long cpu0 = ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
                long t0 = System.nanoTime();
                for (Socket s : idle) {
                    // At most a TLS alert, then the end of the stream (a read timeout fails the test).
                    assertThat(s.getInputStream().readAllBytes().length).as("closed by the server").isLessThan(64);
                }
                long cpu = ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() - cpu0;
                double cores = (double) cpu / Math.max(1, System.nanoTime() - t0);
                // The figure for the report (this JVM: server and test together, from connect to the last close).
                Files.writeString(dir.resolve("stalled-handshake-cpu.txt"), String.format("%d stalled TLS handshakes: %.3f cores"
                        + " over %d ms%n", idle.size(), cores, (System.nanoTime() - t0) / 1_000_000));
                assertThat(cores).as("CPU while 200 TLS handshakes stall (library's busy loop: > 1 core)").isLessThan(0.5);
                String a = PeerId.generate();
                String b = PeerId.generate();
                TestClient ca = TestClient.connect(wss(server, a), a, trust).announce("n");
                TestClient cb = TestClient.connect(wss(server, b), b, trust).announce("n");
                ca.awaitDiscovered(b);
                Bystanders.relay(ca, cb);
                ca.close();
                cb.close();
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }

    @Test
    void badFilesAreRefusedWithAClearMessage() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> PeerPigeonServer.builder().tlsPem(missing, keyPem))
                .isInstanceOf(PeerPigeonException.ConfigException.class).hasMessageContaining("certificate file");
        assertThatThrownBy(() -> PeerPigeonServer.builder().tlsPem(certPem, certPem))
                .isInstanceOf(PeerPigeonException.ConfigException.class).hasMessageContaining("key file");
    }

    @Test
    void aWssHubLinkBetweenTwoTlsHubsCarriesDiscoveryAndSignals() {
        try (PeerPigeonServer a = HubCluster.testHub("tls-mesh").tlsPem(certPem, keyPem).build().start();
             PeerPigeonServer b = HubCluster.testHub("tls-mesh").tlsPem(certPem, keyPem).tlsTrust(trust)
                     .bootstrapHubs(List.of(URI.create("wss://127.0.0.1:" + a.getPort()))).build().start()) {
            String ia = PeerId.generate();
            String ib = PeerId.generate();
            TestClient ca = TestClient.connect(wss(a, ia), ia, trust).announce("across");
            TestClient cb = TestClient.connect(wss(b, ib), ib, trust).announce("across");
            try {
                ca.awaitDiscovered(ib);
                cb.awaitDiscovered(ia);
                Bystanders.relay(ca, cb);
                Bystanders.relay(cb, ca);
            } finally {
                ca.close();
                cb.close();
            }
        }
    }

    @Test
    void aPlainWsAttemptOnTheTlsPortIsRefusedWithoutHarm() throws Exception {
        try (PeerPigeonServer server = pemServer()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 10_000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(dev.peerpigeon.testkit.RawHttp.upgradeRequest("/?peerId=" + PeerId.generate(),
                        "127.0.0.1").getBytes(StandardCharsets.US_ASCII));
                byte[] answer = s.getInputStream().readAllBytes(); // ends: the server closes (a read timeout fails)
                assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1 101");
            }
            String a = PeerId.generate();
            String b = PeerId.generate();
            TestClient ca = TestClient.connect(wss(server, a), a, trust).announce("n");
            TestClient cb = TestClient.connect(wss(server, b), b, trust).announce("n");
            ca.awaitDiscovered(b);
            Bystanders.relay(ca, cb);
            ca.close();
            cb.close();
        }
    }
}
