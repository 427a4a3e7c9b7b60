package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.ForkedJvm;
import dev.peerpigeon.testkit.ForkedServerMain;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No client can stop the listener (issue 9, item 6): half-sent requests time out, connections count toward the
 * limits before their upgrade, every close path releases its per-IP slot, and running out of file descriptors
 * pauses accepting instead of closing the listening socket. Attackers connect from other loopback addresses
 * (127.0.0.2-4) so that the bystanders on 127.0.0.1 are a different "IP".
 */
class ListenerSurvivalTest {

    private static TestClient[] bystanders(int port) {
        TestClient a = TestClient.connect(port).announce("n1");
        TestClient b = TestClient.connect(port).announce("n1");
        a.awaitDiscovered(b.peerId());
        return new TestClient[] {a, b};
    }

    /** A TCP connection from {@code localIp} that sends {@code bytes} (maybe nothing) and then waits. */
    private static Socket connectFrom(String localIp, int port, String bytes) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(localIp, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        if (!bytes.isEmpty()) {
            s.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
        }
        return s;
    }

    /** True when the server closed {@code s} (EOF or reset) within {@code wait}. Reads and discards any answer. */
    private static boolean closedByServer(Socket s, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) left);
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true; // reset
            }
        }
    }

    /** Status code of an upgrade (or any request) sent from {@code localIp}; the socket is left open on 101. */
    private static int statusFrom(String localIp, int port, String request, List<Socket> keep) throws IOException {
        Socket s = connectFrom(localIp, port, request);
        s.setSoTimeout(5000);
        InputStream in = s.getInputStream();
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        String[] parts = line.toString().split(" ");
        int status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        if (status == 101) {
            keep.add(s);
        } else {
            s.close();
        }
        return status;
    }

    /** Closes with a TCP reset: the server learns of the close abruptly. */
    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static String upgrade(String peerId) {
        return RawHttp.upgradeRequest("/?peerId=" + peerId, "x");
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        sockets.clear();
    }

    @Test
    void aRequestHeadNotCompleteWithinTheHandshakeTimeoutIsClosed() throws Exception {
        List<Socket> attack = new ArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").handshakeTimeout(500)
                .build().start()) {
            TestClient[] by = bystanders(server.getPort());
            long start = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                // half a head, and nothing at all: neither ever completes its request
                attack.add(connectFrom("127.0.0.2", server.getPort(),
                        i % 2 == 0 ? "GET /?peerId=" + PeerId.generate() + " HTTP/1.1\r\nHost: x\r\n" : ""));
            }
            Bystanders.relay(by[0], by[1]);
            for (Socket s : attack) {
                assertThat(closedByServer(s, Duration.ofSeconds(5))).as("half-open request closed").isTrue();
            }
            assertThat((System.nanoTime() - start) / 1_000_000).as("closed by the timeout, not at once")
                    .isGreaterThanOrEqualTo(450);
            // A complete request is still answered, and the bystanders kept their (upgraded) connections.
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/health"))).isEqualTo(200);
            assertThat(by[0].isOpen() && by[1].isOpen()).isTrue();
            Bystanders.relay(by[0], by[1]);
            Bystanders.relay(by[1], by[0]);
        } finally {
            closeAll(attack);
        }
    }

    @Test
    void connectionsCountTowardThePerIpLimitBeforeTheirUpgrade() throws Exception {
        List<Socket> attack = new ArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnectionsPerIp(5)
                .maxConnectionsPerIpPerSecond(0).handshakeTimeout(60_000).build().start()) {
            TestClient[] by = bystanders(server.getPort());
            for (int i = 0; i < 5; i++) {
                attack.add(connectFrom("127.0.0.2", server.getPort(), ""));
            }
            // Five silent connections hold the address's five slots: an upgrade from it is refused before the upgrade.
            String refused = "";
            try (Socket s = connectFrom("127.0.0.2", server.getPort(), upgrade(PeerId.generate()))) {
                s.setSoTimeout(5000); // an upgraded socket would stay open: fail, don't hang
                refused = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            assertThat(RawHttp.status(refused)).isEqualTo(429);
            assertThat(RawHttp.body(refused)).contains("Too many connections from your address (5)");
            // Beyond twice the limit a connection is closed at the accept, long before the 60 s handshake timeout.
            List<Socket> more = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                more.add(connectFrom("127.0.0.2", server.getPort(), ""));
            }
            attack.addAll(more);
            int closed = 0;
            for (Socket s : more) {
                closed += closedByServer(s, Duration.ofMillis(300)) ? 1 : 0;
            }
            assertThat(closed).as("connections beyond 2 x 5 closed at accept").isEqualTo(15);
            Bystanders.relay(by[0], by[1]);
            // The bystanders' address is not affected; once the attacker's sockets close its slots come back.
            assertThat(TestClient.connect(server.getPort()).isOpen()).isTrue();
            closeAll(attack);
            List<Socket> upgraded = new ArrayList<>();
            Await.until("attacker's slots released", () -> {
                try {
                    return statusFrom("127.0.0.2", server.getPort(), upgrade(PeerId.generate()), upgraded) == 101;
                } catch (IOException e) {
                    return false;
                }
            });
            closeAll(upgraded);
            Bystanders.relay(by[1], by[0]);
        } finally {
            closeAll(attack);
        }
    }

    @Test
    void connectionsCountTowardTheTotalLimitBeforeTheirUpgrade() throws Exception {
        List<Socket> attack = new ArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnections(4)
                .maxConnectionsPerIp(0).maxConnectionsPerIpPerSecond(0).handshakeTimeout(60_000).build().start()) {
            TestClient[] by = bystanders(server.getPort());
            List<Socket> silent = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                silent.add(connectFrom("127.0.0.3", server.getPort(), ""));
            }
            attack.addAll(silent);
            int closed = 0;
            for (Socket s : silent) {
                closed += closedByServer(s, Duration.ofMillis(300)) ? 1 : 0;
            }
            // 2 bystanders + 6 silent = 2 x maxConnections sockets: the other 4 are closed at accept.
            assertThat(closed).isEqualTo(4);
            TestClient late = TestClient.connect(server.getPort());
            assertThat(late.everOpened()).as("no socket left for another client").isFalse();
            Bystanders.relay(by[0], by[1]);
            closeAll(attack);
            Await.until("sockets released", () -> {
                TestClient c = TestClient.connect(server.getPort());
                boolean ok = c.everOpened();
                c.close();
                return ok;
            });
            Bystanders.relay(by[1], by[0]);
        } finally {
            closeAll(attack);
        }
    }

    @Test
    void everyClosePathReleasesItsPerIpSlot() throws Exception {
        List<Socket> keep = new ArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnectionsPerIp(3)
                .maxConnectionsPerIpPerSecond(0).handshakeTimeout(300).build().start()) {
            int port = server.getPort();
            TestClient[] by = bystanders(port);
            String ip = "127.0.0.4";
            for (int round = 0; round < 10; round++) {
                // plain HTTP, an invalid id (101 then 1008), a refused upgrade (409), a client giving up mid-head, resets right after the upgrade,
                // one immediately followed by the same id (the registration may be replaced as stale), a timed-out head
                assertThat(statusFrom(ip, port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", keep)).isEqualTo(200);
                assertThat(statusFrom(ip, port, upgrade("not-an-id"), keep)).isEqualTo(101); // then closed 1008
                assertThat(statusFrom(ip, port, upgrade(by[0].peerId()), keep)).isEqualTo(409);
                Socket quitter = connectFrom(ip, port, "GET /?peerId=");
                quitter.close(); // the client gives up before its head is complete
                for (int i = 0; i < 5; i++) {
                    // a reset right after reading the 101 (it may arrive before the server lists the socket as open)
                    assertThat(statusFrom(ip, port, upgrade(PeerId.generate()), keep)).isEqualTo(101);
                    reset(keep.remove(keep.size() - 1));
                }
                String id = PeerId.generate();
                assertThat(statusFrom(ip, port, upgrade(id), keep)).isEqualTo(101);
                reset(keep.remove(keep.size() - 1));
                Await.until("id free again", () -> {
                    try {
                        return statusFrom(ip, port, upgrade(id), keep) == 101;
                    } catch (IOException e) {
                        return false;
                    }
                });
                closeAll(keep);
                Socket silent = connectFrom(ip, port, "GET / HTTP/1.1\r\n");
                assertThat(closedByServer(silent, Duration.ofSeconds(5))).isTrue();
                silent.close();
            }
            // No registration stayed behind a closed socket, and the address has its three slots, and no more.
            Await.until("only the bystanders registered", Duration.ofSeconds(10), () -> server.getPeers().size() == 2,
                    () -> server.getPeers().toString());
            Await.until("all slots released", () -> {
                List<Socket> probe = new ArrayList<>();
                try {
                    boolean ok = true;
                    for (int i = 0; i < 3; i++) {
                        ok &= statusFrom(ip, port, upgrade(PeerId.generate()), probe) == 101;
                    }
                    return ok;
                } catch (IOException e) {
                    return false;
                } finally {
                    closeAll(probe);
                }
            });
            for (int i = 0; i < 3; i++) {
                assertThat(statusFrom(ip, port, upgrade(PeerId.generate()), keep)).isEqualTo(101);
            }
            assertThat(statusFrom(ip, port, upgrade(PeerId.generate()), keep)).isEqualTo(429);
            Bystanders.relay(by[0], by[1]);
            Bystanders.relay(by[1], by[0]);
        } finally {
            closeAll(keep);
        }
    }

    @Test
    void runningOutOfFileDescriptorsPausesAcceptingAndItResumes() throws Exception {
        List<Socket> flood = new ArrayList<>();
        try (ForkedJvm jvm = ForkedJvm.start(ForkedServerMain.class.getName(), Map.of("MAX_CONNECTIONS", "5000",
                "MAX_CONNECTIONS_PER_IP", "0", "MAX_CONNECTIONS_PER_IP_PER_SECOND", "0", "MAX_MESSAGES_PER_SECOND", "0",
                "HANDSHAKE_TIMEOUT", "60000"), 256, List.of("-Xmx128m", "-Xss512k"))) {
            int port = ForkedServerMain.awaitPort(jvm);
            try {
                floodTheDescriptorsAndRecover(jvm, port, flood);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nForked server output:\n" + String.join("\n", jvm.tail(60)), e);
            }
        } finally {
            closeAll(flood);
        }
    }

    private static void floodTheDescriptorsAndRecover(ForkedJvm jvm, int port, List<Socket> flood) throws IOException {
        TestClient[] by = bystanders(port);
        // More connections than the server's 256 descriptors: the kernel queues the rest in the backlog.
        for (int i = 0; i < 400; i++) {
            flood.add(connectFrom("127.0.0.2", port, ""));
        }
        jvm.awaitLine(Duration.ofSeconds(20), "Out of file descriptors");
        Bystanders.relay(by[0], by[1]); // connections already open keep being served
        closeAll(flood);
        // Accepting resumes once descriptors are free: new connections are served again.
        Await.until("new connections accepted again", Duration.ofSeconds(20), () -> {
            try {
                return RawHttp.status(RawHttp.get(port, "/health")) == 200;
            } catch (IOException e) {
                return false;
            }
        });
        jvm.awaitLine(Duration.ofSeconds(10), "accepting connections");
        TestClient c = TestClient.connect(port).announce("n1");
        assertThat(c.isOpen()).isTrue();
        by[0].awaitDiscovered(c.peerId());
        Bystanders.relay(by[0], c);
        Bystanders.relay(by[1], by[0]);
        assertThat(jvm.isAlive()).isTrue();
        List<String> out = jvm.output();
        assertThat(out).noneMatch(l -> l.contains("FORKED-STOPPED"));
        long warnings = out.stream().filter(l -> l.contains("file descriptors")).count();
        assertThat(warnings).as("at most about one line a second").isLessThanOrEqualTo(30);
        assertThat(out).noneMatch(l -> l.startsWith("\tat "));
        c.close();
        by[0].close();
        by[1].close();
    }
}
