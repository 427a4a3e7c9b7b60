package dev.peerpigeon.hardening;

import dev.peerpigeon.AdmissionHook;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/** Each limit gives its defined answer, and other peers' traffic continues. */
class LimitsTest {

    @Test
    void aFloodingClientGetsErrorsThenIsClosedWhileOthersKeepRelaying() {
        List<dev.peerpigeon.ServerEvent.PeerDisconnected> gone = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessagesPerSecond(50, 100).build()) {
            server.addListener(new dev.peerpigeon.ServerListener() {
                @Override
                public void peerDisconnected(dev.peerpigeon.ServerEvent.PeerDisconnected e) {
                    gone.add(e);
                }
            });
            server.start();
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            TestClient flooder = TestClient.connect(server.getPort()).announce("n1");
            b.awaitDiscovered(flooder.peerId());
            try {
                for (int i = 0; i < 2000 && flooder.isOpen(); i++) {
                    flooder.offer(b.peerId(), "v=0 flood " + i);
                }
            } catch (org.java_websocket.exceptions.WebsocketNotConnectedException closedMeanwhile) {
                // the server closed it while we were still flooding
            }
            flooder.awaitClosed();
            // The server closes with 1008 "Rate limit exceeded". A client that is still writing may see the
            // TCP reset before it reads that close frame (1006), so the code is asserted on the server side.
            Await.until("flooder closed by the server", () -> gone.stream().anyMatch(e -> e.peerId().equals(flooder.peerId())));
            assertThat(gone).filteredOn(e -> e.peerId().equals(flooder.peerId()))
                    .singleElement().satisfies(e -> {
                        assertThat(e.code()).isEqualTo(1008);
                        assertThat(e.reason()).isEqualTo("Rate limit exceeded");
                    });
            assertThat(flooder.closeCode()).isIn(1006, 1008);
            // A client that merely bursts past the limit gets the error reply and stays connected.
            TestClient bursty = TestClient.connect(server.getPort()).announce("n1");
            for (int i = 0; i < 120; i++) {
                bursty.offer(b.peerId(), "v=0 burst " + i);
            }
            bursty.await("rate limit error", o -> isType(o, "error")
                    && o.get("error").getAsString().startsWith("Rate limit exceeded"));
            assertThat(bursty.isOpen()).isTrue();
            bursty.close();
            // At most the burst (plus what refilled meanwhile) got through to b.
            assertThat(b.ofType("offer").size()).isLessThan(400);
            by.relayBothWays();
            by.close();
        }
    }

    @Test
    void perIpConnectionCountAndRateAreRefusedBeforeTheUpgradeWith429() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxConnectionsPerIp(3).maxConnectionsPerIpPerSecond(0).build().start()) {
            List<TestClient> ok = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ok.add(TestClient.connect(server.getPort()));
            }
            assertThat(ok).allMatch(TestClient::isOpen);
            String refused = RawHttp.upgrade(server.getPort(), "/?peerId=" + PeerId.generate());
            assertThat(RawHttp.status(refused)).isEqualTo(429);
            assertThat(RawHttp.body(refused)).contains("Too many connections from your address");
            ok.get(0).close();
            Await.until("slot freed", () -> server.getStats().connections() == 2);
            assertThat(TestClient.connect(server.getPort()).isOpen()).isTrue();
        }
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxConnectionsPerIp(0).maxConnectionsPerIpPerSecond(2).build().start()) {
            int accepted = 0;
            int refused = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                TestClient c = TestClient.connect(server.getPort());
                if (c.everOpened()) {
                    accepted++;
                } else {
                    refused++;
                }
                c.close();
            }
            // A burst of 2x the rate, plus what refilled while the loop ran (2 a second; slower on a loaded box).
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(accepted).isBetween(4, 5 + (int) (2 * seconds));
            assertThat(refused).isPositive();
        }
    }

    @Test
    void aClientThatNeverReadsIsDroppedAndOthersKeepReceiving() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxQueuedBytes(256 * 1024).maxMessagesPerSecond(0, 0).build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            String stuckId = PeerId.generate();
            try (RawWebSocket stuck = new RawWebSocket(server.getPort(), "/?peerId=" + stuckId)) {
                stuck.setReceiveBuffer(4096);
                stuck.sendText("{\"type\":\"announce\",\"data\":{},\"networkName\":\"n1\"}");
                a.awaitDiscovered(stuckId);
                String sdp = "x".repeat(16 * 1024);
                // a keeps offering to the stuck peer, which never reads: its queue fills, it is dropped.
                Await.until("stuck peer dropped", Duration.ofSeconds(20), () -> {
                    if (server.getPeers().stream().noneMatch(p -> p.peerId().equals(stuckId))) {
                        return true;
                    }
                    for (int i = 0; i < 20; i++) {
                        a.offer(stuckId, sdp);
                    }
                    return false;
                });
            }
            Bystanders.relay(a, b);
            Bystanders.relay(b, a);
        }
    }

    @Test
    void admissionHookRefusesWithItsStatusAndAcceptsWithAToken() throws Exception {
        AdmissionHook tokenAuth = req -> "s3cret".equals(req.queryParam("token"))
                || "Bearer s3cret".equals(req.header("Authorization"))
                ? AdmissionHook.Decision.accept() : AdmissionHook.Decision.refuse(401, "Unauthorized");
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").admission(tokenAuth).build().start()) {
            TestClient anonymous = TestClient.connect(server.getPort());
            assertThat(anonymous.everOpened()).isFalse();
            String id = PeerId.generate();
            String refused = RawHttp.upgrade(server.getPort(), "/?peerId=" + id);
            assertThat(RawHttp.status(refused)).isEqualTo(401);
            assertThat(RawHttp.body(refused)).contains("Unauthorized");
            TestClient withToken = TestClient.connect(URI.create("ws://127.0.0.1:" + server.getPort() + "/?token=s3cret&peerId=" + id), id);
            assertThat(withToken.isOpen()).isTrue();
            withToken.close();
        }
        AdmissionHook broken = req -> {
            throw new IllegalStateException("bug in the hook");
        };
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").admission(broken).build().start()) {
            String r = RawHttp.upgrade(server.getPort(), "/?peerId=" + PeerId.generate());
            assertThat(RawHttp.status(r)).isEqualTo(500);
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/health"))).isEqualTo(200);
        }
    }

    @Test
    void gracefulShutdownClosesEveryoneNormallyAndFiresStoppedOnce() {
        java.util.concurrent.atomic.AtomicInteger stopped = new java.util.concurrent.atomic.AtomicInteger();
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build();
        server.addListener(new dev.peerpigeon.ServerListener() {
            @Override
            public void stopped(dev.peerpigeon.ServerEvent.Stopped e) {
                stopped.incrementAndGet();
            }
        });
        server.start();
        Bystanders by = Bystanders.join(server.getPort(), "n1");
        TestClient a = by.a();
        TestClient b = by.b();
        // The offer is accepted (processed: a's sync returns) before stop; it must reach b before b's close.
        a.offer(b.peerId(), "v=0 in flight at shutdown");
        a.sync();
        server.stop();
        server.stop();
        a.awaitClosed();
        b.awaitClosed();
        assertThat(b.ofType("offer")).hasSize(1);
        assertThat(a.closeCode()).isEqualTo(1000);
        assertThat(b.closeReason()).isEqualTo("Server shutting down");
        assertThat(stopped.get()).isEqualTo(1);
        assertThat(b.received().stream().filter(o -> isType(o, "offer")).count()).isEqualTo(1);
    }
}
