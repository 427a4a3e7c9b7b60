package dev.peerpigeon.federation;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An authenticated but malicious (or buggy) hub cannot rewrite the mesh, a client cannot close a hub link, and
 * ids are unique across the federation. The attacker is a raw hub link that presents the right hub secret and
 * speaks the Java hub protocol ({@code pp-route-v1}); every test also checks that two bystander peers on
 * different hubs keep relaying.
 */
class HubLinkTrustTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String NS = "trust-mesh";
    static final String SECRET = "trust-secret-1";
    private static final AtomicInteger SDP = new AtomicInteger();

    /** Two hubs (hub 1 dials hub 0) sharing {@link #SECRET}, a bystander in n1 on each. */
    private static final class Setup implements AutoCloseable {
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
    private static final class FakeHub implements AutoCloseable {
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

    private static int upgradeStatus(int port, String query) throws Exception {
        String resp = RawHttp.upgrade(port, "/?" + query);
        return RawHttp.status(resp);
    }

    // ------------------------------------------------------------------ item 2: directory updates

    @Test
    void aDirectoryUpdateIsAcceptedOnlyFromTheRouteTowardItsOrigin() {
        try (Setup s = new Setup(); FakeHub m = new FakeHub(s.hub(0))) {
            // M claims a peer of hub 1; hub 0's route toward hub 1 is its direct link, not M.
            String ghost = PeerId.generate();
            m.discovered(ghost, "n1", s.hubId(1), nowSeq());
            Await.until("refused as not from the route", WAIT, () -> s.refused(0, "notFromRoute") >= 1);
            m.sync(s.hub(0));
            assertThat(MeshView.knowsRemote(s.hub(0), "n1", ghost)).isFalse();
            s.a.sync();
            assertThat(s.a.rawReceived()).noneMatch(f -> f.contains(ghost));
            // The same update from its origin's own link is applied: M may speak for itself.
            m.discovered(ghost, "n1", m.id, nowSeq());
            s.a.awaitDiscovered(ghost);
            assertThat(m.ws.isOpen()).isTrue();
            s.bystandersRelay();
        }
    }

    @Test
    void aForgedWithdrawalNeverRemovesALivePeerOfAnotherHubOrOfThisHub() {
        try (Setup s = new Setup(); FakeHub m = new FakeHub(s.hub(0))) {
            long huge = nowSeq() + 60_000_000L; // a minute ahead: plausible, so only the origin check stops it
            m.withdrawn(s.b.peerId(), "n1", s.hubId(1), huge);   // b's origin is hub 1, reached directly
            Await.until("withdrawal not from the route refused", WAIT, () -> s.refused(0, "notFromRoute") >= 1);
            m.withdrawn(s.b.peerId(), "n1", m.id, huge);         // M names itself as b's origin: not b's origin
            m.withdrawn(s.a.peerId(), "n1", s.hubId(0), huge);   // a local peer of hub 0, in hub 0's name
            m.withdrawn(s.a.peerId(), "n1", m.id, huge);         // a local peer of hub 0, in M's name
            m.sync(s.hub(0));
            assertThat(MeshView.knowsRemote(s.hub(0), "n1", s.b.peerId())).isTrue();
            assertThat(MeshView.knowsRemote(s.hub(1), "n1", s.a.peerId())).isTrue();
            assertThat(s.a.ofType("peer-disconnected")).isEmpty();
            assertThat(s.b.ofType("peer-disconnected")).isEmpty();
            assertThat(s.hub(0).getStats().peers()).isEqualTo(1);
            s.bystandersRelay();
        }
    }

    @Test
    void aSeqBeyondTheOriginsClockIsRefusedAndNoForgedSeqOutlivesItsHub() {
        try (Setup s = new Setup()) {
            String peer = PeerId.generate();
            String fakeId = PeerId.generate();
            try (FakeHub m = new FakeHub(s.hub(0), fakeId, "")) {
                m.discovered(peer, "n1", m.id, Long.MAX_VALUE);
                Await.until("maximal seq refused", WAIT, () -> s.refused(0, "seqAhead") >= 1);
                m.sync(s.hub(0));
                assertThat(MeshView.knowsRemote(s.hub(0), "n1", peer)).isFalse();
                // Just inside the bound: applied, then a withdrawal at the bound leaves a tombstone.
                long nearBound = nowSeq() + (HubMesh.SEQ_SLACK_MILLIS - 10_000) * 1000;
                m.discovered(peer, "n1", m.id, nearBound);
                s.b.awaitDiscovered(peer);
                m.withdrawn(peer, "n1", m.id, nearBound + 1);
                Await.until("withdrawn", WAIT, () -> !MeshView.knowsRemote(s.hub(1), "n1", peer));
                // A frozen "ghost": announced again with the highest plausible seq, then its hub goes away.
                m.discovered(peer, "n1", m.id, nearBound + 2);
                Await.until("re-announced", WAIT, () -> MeshView.knowsRemote(s.hub(1), "n1", peer));
            }
            // The hub that owned those seqs is unreachable: its peers and sequence state are gone everywhere.
            Await.until("ghost dropped", WAIT, () -> !MeshView.knowsRemote(s.hub(0), "n1", peer)
                    && !MeshView.knowsRemote(s.hub(1), "n1", peer));
            // The same hub relinks with its real (lower) clock: nothing left over blocks its updates.
            try (FakeHub again = new FakeHub(s.hub(0), fakeId, "")) {
                again.discovered(peer, "n1", again.id, nowSeq());
                Await.until("the peer known again", WAIT, () -> s.b.ofType("peer-discovered").stream()
                        .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(peer)).count() == 3);
                assertThat(again.ws.isOpen()).isTrue();
            }
            s.bystandersRelay();
        }
    }

    // ------------------------------------------------------------------ item 2: route adverts

    @Test
    void routeAdvertsAreValidatedAndADirectlyLinkedHubCannotBeClaimed() {
        try (Setup s = new Setup(); FakeHub m = new FakeHub(s.hub(0))) {
            PeerPigeonServer hub0 = s.hub(0);
            String y = PeerId.generate();
            String z = PeerId.generate();
            String far = PeerId.generate();
            StringBuilder tooLong = new StringBuilder("[\"" + m.id + "\"");
            for (int i = 0; i < 40; i++) {
                tooLong.append(",\"").append(i == 39 ? far : PeerId.generate()).append('"');
            }
            tooLong.append(']');
            m.routes("{\"" + y + "\":[\"" + s.hubId(1) + "\",\"" + y + "\"],"       // does not start with the sender
                    + "\"" + z + "\":[\"" + m.id + "\",\"" + z + "\",\"" + z + "\"]," // repeats (and ends elsewhere)
                    + "\"" + far + "\":" + tooLong + ","                             // longer than the ttl
                    + "\"" + s.hubId(1) + "\":[\"" + m.id + "\",\"" + s.hubId(1) + "\"]}"); // claims a direct neighbour
            Await.until("bad paths counted", WAIT, () -> s.refused(0, "badRoute") >= 1);
            m.sync(s.hub(0));
            assertThat(MeshView.pathLength(hub0, y)).isEqualTo(-1);
            assertThat(MeshView.pathLength(hub0, z)).isEqualTo(-1);
            assertThat(MeshView.pathLength(hub0, far)).isEqualTo(-1);
            assertThat(MeshView.pathLength(hub0, s.hubId(1))).isEqualTo(1);
            // Signals for hub 1's peers keep using the direct link, not M.
            s.bystandersRelay();
            assertThat(m.ws.ofType("offer")).isEmpty();

            // At most MAX_HUBS_PER_LINK hubs are learned from one link.
            StringBuilder many = new StringBuilder("{");
            for (int i = 0; i < HubMesh.MAX_HUBS_PER_LINK + 200; i++) {
                String h = PeerId.generate();
                many.append(i == 0 ? "" : ",").append('"').append(h).append("\":[\"").append(m.id).append("\",\"").append(h).append("\"]");
            }
            m.routes(many.append('}').toString());
            Await.until("excess hubs counted", WAIT, () -> s.refused(0, "tooManyHubs") >= 1);
            Await.until("bounded hubs learned", WAIT, () -> MeshView.reachableHubCount(hub0) == 2 + HubMesh.MAX_HUBS_PER_LINK);
            assertThat(m.ws.isOpen()).isTrue();
            s.bystandersRelay();
        }
    }

    @Test
    void equalLengthRoutesAreChosenByHubIdNotByLinkOrder() {
        try (Setup s = new Setup()) {
            String low = "0" + PeerId.generate().substring(1);
            String high = "f" + PeerId.generate().substring(1);
            String y = PeerId.generate();
            String peer = PeerId.generate();
            // The higher id links first (an older link id); the lower id must still win the tie.
            try (FakeHub hi = new FakeHub(s.hub(0), high, ""); FakeHub lo = new FakeHub(s.hub(0), low, "")) {
                hi.routes("{\"" + y + "\":[\"" + high + "\",\"" + y + "\"]}");
                lo.routes("{\"" + y + "\":[\"" + low + "\",\"" + y + "\"]}");
                Await.until("y reachable", WAIT, () -> MeshView.pathLength(s.hub(0), y) == 2);
                hi.sync(s.hub(0));
                lo.sync(s.hub(0));
                // Both relay y's peer; only the route's copy is applied, and signals go that way.
                hi.discovered(peer, "n1", y, nowSeq());
                lo.discovered(peer, "n1", y, nowSeq());
                s.a.awaitDiscovered(peer);
                s.a.offer(peer, "v=0 toward y");
                lo.ws.await("offer for y's peer", o -> isType(o, "offer"), WAIT);
                hi.ws.sync();
                assertThat(hi.ws.ofType("offer")).isEmpty();
                s.bystandersRelay();
            }
        }
    }

    @Test
    void aRouteThatMovesAsksItsNewLinkForWhatItRefusedMeanwhile() {
        try (Setup s = new Setup()) {
            String low = "0" + PeerId.generate().substring(1);
            String high = "f" + PeerId.generate().substring(1);
            String y = PeerId.generate();
            String peer = PeerId.generate();
            long seq = nowSeq();
            try (FakeHub hi = new FakeHub(s.hub(0), high, "")) {
                try (FakeHub lo = new FakeHub(s.hub(0), low, "")) {
                    hi.routes("{\"" + y + "\":[\"" + high + "\",\"" + y + "\"]}");
                    lo.routes("{\"" + y + "\":[\"" + low + "\",\"" + y + "\"]}");
                    Await.until("y reachable", WAIT, () -> MeshView.pathLength(s.hub(0), y) == 2);
                    lo.sync(s.hub(0));
                    hi.sync(s.hub(0));
                    hi.discovered(peer, "n1", y, seq); // y's route is lo: refused
                    Await.until("refused", WAIT, () -> s.refused(0, "notFromRoute") >= 1);
                    assertThat(MeshView.knowsRemote(s.hub(0), "n1", peer)).isFalse();
                }
                // lo is gone: the route toward y moves to hi, which is asked for y's directory again.
                hi.ws.await("a resync request for y", o -> isType(o, "hub-sync") && o.toString().contains(y), WAIT);
                hi.discovered(peer, "n1", y, seq);
                s.a.awaitDiscovered(peer);
                s.bystandersRelay();
            }
        }
    }

    @Test
    void ourRouteAdvertNeverExceedsTheFrameLimit() {
        int limit = 8 * 1024;
        try (Setup s = new Setup(b -> b.maxMessageSize(limit)); FakeHub m = new FakeHub(s.hub(0))) {
            StringBuilder many = new StringBuilder("{");
            for (int i = 0; i < 150; i++) { // ~20 KB: fits the 24 KiB link limit; hub 0's advert of them would not fit 8 KiB
                String h = PeerId.generate();
                many.append(i == 0 ? "" : ",").append('"').append(h).append("\":[\"").append(m.id).append("\",\"").append(h).append("\"]");
            }
            m.routes(many.append('}').toString());
            Await.until("learned", WAIT, () -> MeshView.reachableHubCount(s.hub(0)) == 152);
            // Hub 1 hears hub 0's capped advert: the link stays up and it learns the nearest hubs.
            Await.until("hub 1 learns some", WAIT, () -> MeshView.reachableHubCount(s.hub(1)) > 2);
            List<String> adverts = m.ws.rawReceived().stream().filter(f -> f.startsWith("{\"type\":\"hub-routes\"")).toList();
            assertThat(adverts).isNotEmpty();
            assertThat(adverts).allMatch(f -> f.getBytes(StandardCharsets.UTF_8).length <= limit);
            assertThat(MeshView.pathLength(s.hub(1), s.hubId(0))).isEqualTo(1);
            TestLogs.awaitLine(WAIT, "Route advert capped at " + limit + " bytes");
            s.bystandersRelay();
        }
    }

    // ------------------------------------------------------------------ item 2: per-link bounds

    @Test
    void directoryEntriesAreBoundedInSizeAndRateCountedAndLoggedOnce() throws Exception {
        try (Setup s = new Setup(b -> b.maxRemotePeers(10)); FakeHub m = new FakeHub(s.hub(0))) {
            m.discovered(PeerId.generate(), "n".repeat(300), m.id, nowSeq());           // network name too long
            m.ws.send("{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"" + PeerId.generate() + "\",\"blob\":\""
                    + "x".repeat(9000) + "\"},\"networkName\":\"n1\",\"originHub\":\"" + m.id + "\",\"seq\":" + nowSeq() + "}");
            m.discovered("not-a-peer-id", "n1", m.id, nowSeq());                         // bad id
            m.discovered(PeerId.generate(), "n1", "nope", nowSeq());                     // bad origin
            m.withdrawn(PeerId.generate(), "n".repeat(300), m.id, nowSeq());             // withdrawal, name too long
            Await.until("bad entries counted", WAIT, () -> s.refused(0, "badEntry") >= 5);
            // A flood beyond the per-link rate (burst = maxRemotePeers + DIRECTORY_RATE).
            int flood = 4 * (10 + HubMesh.DIRECTORY_RATE);
            for (int i = 0; i < flood; i++) {
                m.withdrawn("ab".repeat(20), "n1", m.id, nowSeq());
            }
            Await.until("rate limited", WAIT, () -> s.refused(0, "rateLimited") > 0);
            String hubstats = RawHttp.body(RawHttp.get(s.hub(0).getPort(), "/hubstats"));
            JsonObject counts = JsonParser.parseString(hubstats).getAsJsonObject().getAsJsonObject("refusedLinkFrames");
            assertThat(counts.get("rateLimited").getAsLong()).isPositive();
            assertThat(counts.get("badEntry").getAsLong()).isGreaterThanOrEqualTo(5);
            // Logged once for this link (at most once a minute), without stack traces.
            String shortId = m.id.substring(0, 8);
            TestLogs.awaitLine(WAIT, "Refused a frame from link from hub " + shortId);
            List<String> lines = TestLogs.lines();
            assertThat(lines.stream().filter(l -> l.contains("Refused a frame from link from hub " + shortId)).count()).isEqualTo(1);
            assertThat(lines).noneMatch(l -> l.contains("Hub mesh task failed"));
            assertThat(m.ws.isOpen()).isTrue();
            s.bystandersRelay();
        }
    }

    // ------------------------------------------------------------------ item 2: frame limits

    @Test
    void aMaximumSizeClientSignalCrossesHubLinksBothWaysWithoutClosingThem() {
        int max = 1024 * 1024;
        try (Setup s = new Setup()) {
            // A client frame of exactly maxMessageSize bytes, each way (the links use different limits per direction).
            for (TestClient[] pair : new TestClient[][]{{s.a, s.b}, {s.b, s.a}}) {
                String head = "{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"";
                String tail = "\"},\"maxPeers\":3,\"networkName\":\"n1\",\"targetPeerId\":\"" + pair[1].peerId() + "\"}";
                String frame = head + "v".repeat(max - head.length() - tail.length()) + tail;
                assertThat(frame.getBytes(StandardCharsets.UTF_8)).hasSize(max);
                pair[0].send(frame);
                pair[1].await("the 1 MiB offer", o -> isType(o, "offer")
                        && o.getAsJsonObject("data").get("sdp").getAsString().length() > max - 200, WAIT);
            }
            assertThat(MeshView.links(s.hub(0))).hasSize(1);
            assertThat(MeshView.attempts(s.hub(1))).isEqualTo(1); // never redialed
            assertThat(MeshView.knowsRemote(s.hub(0), "n1", s.b.peerId())).isTrue();
            // The client limit still holds on a hub: one byte more closes that client with 1009, only it.
            TestClient big = TestClient.connect(s.hub(0).getPort());
            big.send("{\"type\":\"ping\",\"data\":\"" + "x".repeat(max) + "\"}");
            big.awaitClosed();
            assertThat(big.closeCode()).isEqualTo(1009);
            s.bystandersRelay();
        }
    }

    @Test
    void aSignalTooLargeForTheNextHubLinkIsRefusedToItsSender() {
        try (Setup s = new Setup(); FakeHub m = new FakeHub(s.hub(0), PeerId.generate(), ",\"maxFrameSize\":4096")) {
            String peer = PeerId.generate();
            m.discovered(peer, "n1", m.id, nowSeq());
            s.a.awaitDiscovered(peer);
            s.a.offer(peer, "v=0 " + "x".repeat(8000));
            JsonObject err = s.a.await("error", o -> isType(o, "error"), WAIT);
            assertThat(err.get("error").getAsString()).contains("too large");
            s.a.offer(peer, "v=0 small");
            m.ws.await("the small offer", o -> isType(o, "offer"), WAIT);
            assertThat(m.ws.ofType("offer")).hasSize(1);
            assertThat(m.ws.isOpen()).isTrue();
            s.bystandersRelay();
        }
    }

    // ------------------------------------------------------------------ item 3: ids unique across the federation

    @Test
    void anIdLiveOnAnotherHubIsRefusedWith409() throws Exception {
        try (Setup s = new Setup()) {
            assertThat(upgradeStatus(s.hub(0).getPort(), "peerId=" + s.b.peerId())).isEqualTo(409);
            assertThat(upgradeStatus(s.hub(1).getPort(), "peerId=" + s.a.peerId())).isEqualTo(409);
            s.bystandersRelay();
            assertThat(s.b.ofType("offer")).hasSize(1); // the would-be impostor got nothing
        }
    }

    @Test
    void aPlainPeerCannotSquatAHubIdWithOrWithoutASecret() throws Exception {
        try (Setup s = new Setup()) {
            // Hub 1 dialed hub 0, so hub 1 holds no session with hub 0's id: a plain peer tries it there.
            assertThat(upgradeStatus(s.hub(1).getPort(), "peerId=" + s.hubId(0))).isEqualTo(409);
            s.bystandersRelay();
        }
        try (HubCluster open = HubCluster.of(NS).start(2, HubCluster.chain(2))) {
            open.awaitConverged(WAIT);
            TestClient a = open.client(0, "n1");
            TestClient b = open.client(1, "n1");
            a.awaitDiscovered(b.peerId());
            // Without a secret an id is no credential at the upgrade, but a hub's id never becomes a plain peer.
            TestClient squatter = TestClient.connect(open.hub(1).getPort(), open.hub(0).config().hub().id());
            squatter.announce("n1");
            squatter.awaitClosed();
            assertThat(squatter.closeCode()).isEqualTo(1008);
            assertThat(squatter.closeReason()).isEqualTo("Peer id belongs to a hub");
            b.sync();
            assertThat(b.rawReceived()).noneMatch(f -> f.contains("peer-discovered") && f.contains(open.hub(0).config().hub().id()));
            a.offer(b.peerId(), "v=0 open mesh");
            b.awaitType("offer");
        }
    }

    @Test
    void aRelinkingHubIsNotRefusedBecauseAPlainPeerHoldsItsId() {
        // With a secret: the squatter took hub 1's id before hub 1 ever linked; hub 1 presents the secret and wins.
        String hub1 = PeerId.generate();
        HubCluster kit = HubCluster.of(NS, b -> b.hubSecret(SECRET));
        try (PeerPigeonServer h0 = kit.hubBuilder(PeerId.generate(), 0, List.of()).build().start()) {
            TestClient squatter = TestClient.connect(h0.getPort(), hub1);
            squatter.announce("n1");
            TestClient a = TestClient.connect(h0.getPort()).announce("n1");
            a.awaitDiscovered(hub1);
            try (PeerPigeonServer h1 = kit.hubBuilder(hub1, 0, List.of(URI.create("ws://127.0.0.1:" + h0.getPort()))).build().start()) {
                Await.until("hub 1 linked", WAIT, () -> MeshView.reachableHubCount(h0) == 1 && MeshView.reachableHubCount(h1) == 1);
                squatter.awaitClosed();
                assertThat(squatter.closeReason()).isEqualTo("Peer id belongs to a hub");
                a.await("the squatter left", o -> isType(o, "peer-disconnected"), WAIT);
                TestClient b = TestClient.connect(h1.getPort()).announce("n1");
                a.awaitDiscovered(b.peerId());
                a.offer(b.peerId(), "v=0 after the relink");
                b.awaitType("offer");
                b.offer(a.peerId(), "v=0 back");
                a.awaitType("offer");
                b.close();
            }
            a.close();
        }
        // Without a secret: hub 1 goes away, a plain peer takes its id without announcing; hub 1 relinks anyway.
        try (HubCluster open = HubCluster.of(NS).start(2, HubCluster.chain(2))) {
            open.awaitConverged(WAIT);
            String id1 = open.hub(1).config().hub().id();
            open.kill(1);
            Await.until("hub 1 gone", WAIT, () -> MeshView.reachableHubCount(open.hub(0)) == 0);
            TestClient squatter = TestClient.connect(open.hub(0).getPort(), id1);
            assertThat(squatter.everOpened()).isTrue();
            open.restart(1);
            open.awaitConverged(WAIT);
            squatter.awaitClosed();
            assertThat(squatter.closeReason()).isEqualTo("Peer id belongs to a hub");
            TestClient a = open.client(0, "n1");
            TestClient b = open.client(1, "n1");
            a.awaitDiscovered(b.peerId());
            a.offer(b.peerId(), "v=0 relinked");
            b.awaitType("offer");
        }
    }
}
