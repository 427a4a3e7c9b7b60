package dev.peerpigeon.federation;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.federation.HubLinkTrustKit.FakeHub;
import dev.peerpigeon.federation.HubLinkTrustKit.Setup;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static dev.peerpigeon.federation.HubLinkTrustKit.NS;
import static dev.peerpigeon.federation.HubLinkTrustKit.SECRET;
import static dev.peerpigeon.federation.HubLinkTrustKit.WAIT;
import static dev.peerpigeon.federation.HubLinkTrustKit.nowSeq;
import static dev.peerpigeon.federation.HubLinkTrustKit.upgradeStatus;
import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An authenticated but malicious (or buggy) hub cannot rewrite the mesh's directory (updates only from the route
 * toward their origin, plausible seqs, bounded entries) and ids are unique across the federation. The attacker is a
 * raw hub link ({@link FakeHub}) that presents the right hub secret and speaks the Java hub protocol
 * ({@code pp-route-v1}); every test also checks that two bystander peers on different hubs keep relaying.
 * Route adverts and frame limits: {@link HubLinkTrustRoutesTest}.
 */
class HubLinkTrustTest {

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
