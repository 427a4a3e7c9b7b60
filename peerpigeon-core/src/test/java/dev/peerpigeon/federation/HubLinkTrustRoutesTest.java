package dev.peerpigeon.federation;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.federation.HubLinkTrustKit.FakeHub;
import dev.peerpigeon.federation.HubLinkTrustKit.Setup;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.peerpigeon.federation.HubLinkTrustKit.WAIT;
import static dev.peerpigeon.federation.HubLinkTrustKit.nowSeq;
import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An authenticated but malicious (or buggy) hub cannot bend the mesh's routes (adverts validated, bounded, ties
 * broken by hub id) and frames that fit no link are refused to their sender while the links stay up. The attacker
 * and set-up are those of {@link HubLinkTrustTest} ({@link HubLinkTrustKit}); every test also checks that two
 * bystander peers on different hubs keep relaying. No state of its own: each test runs on JUnit's thread.
 */
class HubLinkTrustRoutesTest {

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
    void aReplyToAPeerWhoseSignalOvertookItsAnnounceGoesBackOverTheLinkItCameBy() {
        // A remote peer's offer can arrive before its announce (the offer is relayed as soon as it is read, the
        // announce is applied on the mesh thread): the answer must still reach it, not fail with "not connected".
        try (Setup s = new Setup(); FakeHub m = new FakeHub(s.hub(0))) {
            String stranger = PeerId.generate(); // never announced
            m.ws.send("{\"type\":\"offer\",\"data\":{\"sdp\":\"v=0 early\"},\"fromPeerId\":\"" + stranger
                    + "\",\"targetPeerId\":\"" + s.a.peerId() + "\",\"networkName\":\"n1\",\"timestamp\":1}");
            s.a.await("the early offer", o -> isType(o, "offer") && o.get("fromPeerId").getAsString().equals(stranger), WAIT);
            s.a.send("{\"type\":\"answer\",\"data\":{\"sdp\":\"v=0 reply\"},\"targetPeerId\":\"" + stranger
                    + "\",\"networkName\":\"n1\"}");
            JsonObject answer = m.ws.await("the answer, over the link the offer came by",
                    o -> isType(o, "answer") && o.get("targetPeerId").getAsString().equals(stranger), WAIT);
            assertThat(answer.get("fromPeerId").getAsString()).isEqualTo(s.a.peerId());
            assertThat(s.a.ofType("error")).isEmpty();
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
}
