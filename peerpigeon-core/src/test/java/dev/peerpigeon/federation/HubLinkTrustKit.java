package dev.peerpigeon.federation;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.peerpigeon.testkit.TestClient.isType;

/**
 * The hub-link trust tests' shared set-up: two secret-sharing hubs with a bystander each, and a raw attacker
 * hub link ({@link FakeHub}); each instance is owned by the test thread that made it.
 */
final class HubLinkTrustKit {
    private HubLinkTrustKit() {
    }

    static final Duration WAIT = Duration.ofSeconds(20);
    static final String NS = "trust-mesh";
    static final String SECRET = "trust-secret-1";
    private static final AtomicInteger SDP = new AtomicInteger();

    /** Two hubs (hub 1 dials hub 0) sharing {@link #SECRET}, a bystander in n1 on each. */
    static final class Setup implements AutoCloseable {
        final HubCluster cluster;
        final TestClient a;
        final TestClient b;

        Setup(java.util.function.UnaryOperator<dev.peerpigeon.PeerPigeonServer.Builder> extra) {
            cluster = HubCluster.of(NS, builder -> extra.apply(builder.hubSecret(SECRET))).start(2, HubCluster.chain(2));
            cluster.awaitConverged(WAIT);
            a = cluster.client(0, "n1");
            b = cluster.client(1, "n1");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
        }

        Setup() {
            this(x -> x);
        }

        PeerPigeonServer hub(int i) {
            return cluster.hub(i);
        }

        String hubId(int i) {
            return cluster.hub(i).config().hub().id();
        }

        long refused(int hub, String reason) {
            return MeshView.refusalCounts(cluster.hub(hub)).get(reason);
        }

        /** An offer each way between the bystanders arrives. */
        void bystandersRelay() {
            String one = "v=0 bystander " + SDP.incrementAndGet();
            a.offer(b.peerId(), one);
            b.await("offer " + one, o -> isType(o, "offer") && o.getAsJsonObject("data").get("sdp").getAsString().equals(one), WAIT);
            String two = "v=0 bystander " + SDP.incrementAndGet();
            b.offer(a.peerId(), two);
            a.await("offer " + two, o -> isType(o, "offer") && o.getAsJsonObject("data").get("sdp").getAsString().equals(two), WAIT);
        }

        @Override
        public void close() {
            cluster.close();
        }
    }

    /** A raw hub link with the right secret, speaking the Java hub protocol. */
    static final class FakeHub implements AutoCloseable {
        final String id;
        final TestClient ws;

        FakeHub(PeerPigeonServer hub, String id, String extraData) {
            this.id = id;
            ws = TestClient.connect(URI.create("ws://127.0.0.1:" + hub.getPort() + "/?peerId=" + id + "&hubSecret=" + SECRET), id);
            ws.send("{\"type\":\"announce\",\"networkName\":\"" + NS + "\",\"data\":{\"isHub\":true,"
                    + "\"capabilities\":[\"signaling\",\"relay\",\"pp-route-v1\"]" + extraData + "}}");
            Await.until("fake hub linked", WAIT, () -> MeshView.links(hub).stream().anyMatch(l -> l.peerId().equals(id)));
        }

        FakeHub(PeerPigeonServer hub) {
            this(hub, PeerId.generate(), "");
        }

        void discovered(String peer, String net, String origin, long seq) {
            ws.send("{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"" + peer + "\",\"isHub\":false},\"networkName\":\""
                    + net + "\",\"fromPeerId\":\"system\",\"timestamp\":1,\"originHub\":\"" + origin + "\",\"seq\":" + seq + "}");
        }

        void withdrawn(String peer, String net, String origin, long seq) {
            ws.send("{\"type\":\"peer-disconnected\",\"data\":{\"peerId\":\"" + peer + "\",\"isHub\":false,\"reason\":\"disconnected\"},"
                    + "\"networkName\":\"" + net + "\",\"fromPeerId\":\"system\",\"timestamp\":1,\"originHub\":\"" + origin
                    + "\",\"seq\":" + seq + "}");
        }

        void routes(String routesJson) {
            ws.send("{\"type\":\"hub-routes\",\"data\":{\"routes\":" + routesJson + "},\"originHub\":\"" + id + "\"}");
        }

        /** Announces a marker peer of its own and waits until {@code hub} applied it: earlier frames are done. */
        void sync(PeerPigeonServer hub) {
            String marker = PeerId.generate();
            discovered(marker, "sync", id, nowSeq());
            Await.until("marker applied", WAIT, () -> MeshView.knowsRemote(hub, "sync", marker));
        }

        @Override
        public void close() {
            ws.close();
        }
    }

    static long nowSeq() {
        return System.currentTimeMillis() * 1000;
    }

    static int upgradeStatus(int port, String query) throws Exception {
        String resp = RawHttp.upgrade(port, "/?" + query);
        return RawHttp.status(resp);
    }
}
