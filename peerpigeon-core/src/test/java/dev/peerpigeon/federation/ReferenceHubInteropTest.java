package dev.peerpigeon.federation;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.NodeProcess;
import dev.peerpigeon.testkit.Ports;
import dev.peerpigeon.testkit.ReferencePackage;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with the real reference hub (npm peerpigeon@1.1.3 server/index.js, isHub: true), in both
 * dial directions: peers on each side discover each other and exchange signals.
 */
class ReferenceHubInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static NodeProcess referenceHub(int port, String hubId, List<String> bootstrap) {
        StringBuilder boot = new StringBuilder("[");
        for (String b : bootstrap) {
            boot.append(boot.length() > 1 ? "," : "").append('"').append(b).append('"');
        }
        boot.append(']');
        String options = "{\"port\":" + port + ",\"host\":\"127.0.0.1\",\"isHub\":true,\"hubMeshNamespace\":\"test-mesh\","
                + "\"hubPeerId\":\"" + hubId + "\",\"bootstrapHubs\":" + boot + ",\"maxPortRetries\":0}";
        NodeProcess p = ReferencePackage.node("node/reference-hub.mjs", ReferencePackage.dir().toString(), options);
        p.awaitEvent("started", WAIT);
        return p;
    }

    private static PeerPigeonServer javaHub(List<URI> bootstrap) {
        return HubCluster.testHub("test-mesh").bootstrapHubs(bootstrap).reconnectInterval(200).cleanupInterval(1000)
                .build().start();
    }

    /** A peer-discovered frame about {@code peerId}. */
    private static java.util.function.Predicate<com.google.gson.JsonObject> discoveryOf(String peerId) {
        return o -> TestClient.isType(o, "peer-discovered")
                && o.getAsJsonObject("data").get("peerId").getAsString().equals(peerId);
    }

    private static void exchangeSignals(TestClient a, TestClient b) {
        a.offer(b.peerId(), "v=0 offer across hubs");
        assertThat(b.await("offer from " + a.peerId(), o -> TestClient.isType(o, "offer"), WAIT)
                .get("fromPeerId").getAsString()).isEqualTo(a.peerId());
        b.signal("answer", "{\"type\":\"answer\",\"sdp\":\"v=0 answer across hubs\"}", a.peerId());
        assertThat(a.await("answer", o -> TestClient.isType(o, "answer"), WAIT).get("fromPeerId").getAsString())
                .isEqualTo(b.peerId());
    }

    @Test
    void referenceHubDialsUs() {
        try (PeerPigeonServer ours = javaHub(List.of())) {
            int refPort = Ports.free();
            String refId = PeerId.generate();
            try (NodeProcess ref = referenceHub(refPort, refId, List.of("ws://127.0.0.1:" + ours.getPort()))) {
                Await.until("reference hub linked in", WAIT, () -> ours.getHubStats().hubs().stream()
                        .anyMatch(h -> h.peerId().equals(refId) && h.direction().equals("in")), ref::output);
                TestClient y = TestClient.connect(ours.getPort()).announce("n1");
                TestClient x = TestClient.connect(refPort).announce("n1");
                y.await("discovery of the reference hub's peer", discoveryOf(x.peerId()), WAIT);
                x.await("discovery of our peer", discoveryOf(y.peerId()), WAIT);
                exchangeSignals(x, y);
                exchangeSignals(y, x);
                x.close();
                y.close();
            }
        }
    }

    /**
     * A reference hub and our hub dialing it. It tells no id; {@code test} runs once /hubs lists it under its real
     * hubPeerId (once its own mesh client was listed to us), with our hub and the reference's port.
     */
    private static void withReferenceWeDial(java.util.function.ObjIntConsumer<PeerPigeonServer> test) {
        int refPort = Ports.free();
        String refId = PeerId.generate();
        try (NodeProcess ref = referenceHub(refPort, refId, List.of());
             PeerPigeonServer ours = javaHub(List.of(URI.create("ws://127.0.0.1:" + refPort)))) {
            Await.until("listed under its real hubPeerId", WAIT, () -> ours.getHubStats().hubs().stream()
                    .anyMatch(h -> h.peerId().equals(refId) && h.direction().equals("out")), ref::output);
            test.accept(ours, refPort);
        }
    }

    @Test
    void weDialTheReferenceHub() {
        withReferenceWeDial((ours, refPort) -> {
            Await.until("link to the reference hub", WAIT, () -> ours.getStats().bootstrapConnected() == 1);
            TestClient x = TestClient.connect(refPort).announce("n1");
            x.sync();
            TestClient y = TestClient.connect(ours.getPort()).announce("n1");
            // x joined first on the dialed (reference) side: it learns y live; y learns x from our directory.
            y.await("discovery of the reference hub's peer", discoveryOf(x.peerId()), WAIT);
            x.await("discovery of our peer", discoveryOf(y.peerId()), WAIT);
            // A late joiner on the reference side: the reference does not cache what we send, our refresh covers it.
            TestClient late = TestClient.connect(refPort).announce("n1");
            late.await("late discovery of our peer", discoveryOf(y.peerId()), WAIT);
            exchangeSignals(x, y);
            exchangeSignals(y, x);
            x.close();
            y.close();
            late.close();
        });
    }
    @Test
    void newcomersOnAReferenceHubWeDialedKnowOurPeersBeforeTheirOffersReachThem() {
        withReferenceWeDial((ours, refPort) -> {
            TestClient y = TestClient.connect(ours.getPort()).announce("n1");
            y.sync();
            // Two newcomers back to back: the first is resent to at once, the second within the same interval.
            TestClient first = TestClient.connect(refPort).announce("n1");
            TestClient second = TestClient.connect(refPort).announce("n1");
            for (TestClient newcomer : List.of(first, second)) {
                // Our peer offers the moment it learns of a newcomer, as a browser does.
                y.await("discovery of a newcomer", discoveryOf(newcomer.peerId()), WAIT);
                y.offer(newcomer.peerId(), "v=0 offer at once");
            }
            for (TestClient newcomer : List.of(first, second)) {
                newcomer.await("the offer", o -> TestClient.isType(o, "offer"), WAIT);
                List<String> order = newcomer.received().stream()
                        .filter(o -> TestClient.isType(o, "offer") || discoveryOf(y.peerId()).test(o))
                        .map(o -> o.get("type").getAsString()).toList();
                assertThat(order).as("what a newcomer received from or about our peer, in order")
                        .startsWith("peer-discovered").contains("offer");
                // The link keeps relaying: the answer comes back.
                newcomer.signal("answer", "{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}", y.peerId());
            }
            Await.until("both answers", WAIT, () -> y.ofType("answer").size() == 2);
            y.close();
            first.close();
            second.close();
        });
    }
}
