package dev.peerpigeon;

import com.google.gson.JsonObject;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.PeerPigeonExtension;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/** Every client message type over real sockets, with the deliberate fixes of DESIGN.md. */
class SignalingProtocolTest {
    @RegisterExtension
    final PeerPigeonExtension server = PeerPigeonExtension.server();

    private TestClient client() {
        return server.connect();
    }

    private TestClient client(String id) {
        return server.connect(id);
    }

    @Test
    void welcomeFrameHasTheReferenceShape() {
        TestClient a = client();
        JsonObject welcome = a.awaitType("connected");
        assertThat(welcome.getAsJsonObject("data").get("peerId").getAsString()).isEqualTo(a.peerId());
        assertThat(welcome.get("fromPeerId").getAsString()).isEqualTo("system");
        assertThat(welcome.get("timestamp").getAsLong()).isPositive();
    }

    @Test
    void announceDiscoversBothWaysInsideTheNetworkOnly() {
        TestClient a = client().announce("n1");
        TestClient other = client().announce("n2");
        a.sync();
        TestClient b = client().announce("n1");
        JsonObject aboutB = a.awaitDiscovered(b.peerId());
        JsonObject aboutA = b.awaitDiscovered(a.peerId());
        assertThat(aboutB.get("networkName").getAsString()).isEqualTo("n1");
        assertThat(aboutB.get("fromPeerId").getAsString()).isEqualTo("system");
        assertThat(aboutB.getAsJsonObject("data").get("isHub").getAsBoolean()).isFalse();
        assertThat(aboutA.get("targetPeerId").getAsString()).isEqualTo(b.peerId());
        other.sync();
        b.sync();
        assertThat(other.ofType("peer-discovered")).isEmpty();
        assertThat(b.ofType("peer-discovered")).hasSize(1);
        assertThat(a.ofType("peer-discovered")).hasSize(1);
    }

    @Test
    void announceDataCannotOverrideIdentity() {
        TestClient a = client().announce("n1");
        a.sync();
        TestClient b = client();
        String fake = "beef".repeat(10);
        b.send("{\"type\":\"announce\",\"data\":{\"peerId\":\"" + fake + "\",\"isHub\":\"yes\",\"nick\":\"bob\"},\"networkName\":\"n1\"}");
        JsonObject d = a.awaitType("peer-discovered").getAsJsonObject("data");
        assertThat(d.get("peerId").getAsString()).isEqualTo(b.peerId());
        assertThat(d.get("isHub").getAsBoolean()).isFalse();
        assertThat(d.get("nick").getAsString()).isEqualTo("bob");
    }

    @Test
    void reannounceMovesThePeerToTheNewNetwork() {
        TestClient a = client().announce("n1");
        TestClient c = client().announce("n2");
        a.sync();
        c.sync();
        TestClient b = client().announce("n1");
        a.awaitDiscovered(b.peerId());
        b.announce("n2");
        JsonObject gone = a.await("peer-disconnected", o -> isType(o, "peer-disconnected"));
        assertThat(gone.getAsJsonObject("data").get("peerId").getAsString()).isEqualTo(b.peerId());
        assertThat(gone.get("networkName").getAsString()).isEqualTo("n1");
        c.awaitDiscovered(b.peerId());
        // A signal from a (n1) no longer reaches b (n2).
        a.offer(b.peerId(), "v=0 offer to a moved peer");
        a.await("error", o -> isType(o, "error"));
        b.sync();
        assertThat(b.ofType("offer")).isEmpty();
        assertThat(server.get().getStats().networks()).isEqualTo(2);
    }

    @Test
    void signalsAreRelayedWithTheSendersRealIdInTheSendersNetwork() {
        TestClient a = client().announce("n1");
        TestClient b = client().announce("n1");
        a.awaitDiscovered(b.peerId());
        String spoof = "dead".repeat(10);
        a.send("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0 real\"},\"maxPeers\":3,\"networkName\":\"n1\","
                + "\"targetPeerId\":\"" + b.peerId() + "\",\"fromPeerId\":\"" + spoof + "\",\"extra\":1}");
        JsonObject offer = b.awaitType("offer");
        assertThat(offer.get("fromPeerId").getAsString()).isEqualTo(a.peerId());
        assertThat(offer.get("targetPeerId").getAsString()).isEqualTo(b.peerId());
        assertThat(offer.get("networkName").getAsString()).isEqualTo("n1");
        assertThat(offer.getAsJsonObject("data").get("sdp").getAsString()).isEqualTo("v=0 real");
        assertThat(offer.has("extra")).isFalse();
        assertThat(offer.has("maxPeers")).isFalse();

        b.signal("answer", "{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}", a.peerId());
        assertThat(a.awaitType("answer").get("fromPeerId").getAsString()).isEqualTo(b.peerId());
        a.signal("ice-candidate", "{\"candidate\":\"candidate:1 1 udp 1 198.18.0.1 5000 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}", b.peerId());
        assertThat(b.awaitType("ice-candidate").getAsJsonObject("data").get("sdpMid").getAsString()).isEqualTo("0");
    }

    @Test
    void clientToClientTypesTheReferenceRefusedAreRelayed() {
        TestClient a = client().announce("n1");
        TestClient b = client().announce("n1");
        a.awaitDiscovered(b.peerId());
        for (String type : List.of("connection-rejected", "renegotiation-offer", "renegotiation-answer",
                "ice-restart-offer", "ice-restart-answer")) {
            a.signal(type, "{\"reason\":\"initiator_role_conflict\"}", b.peerId());
            JsonObject got = b.awaitType(type);
            assertThat(got.get("fromPeerId").getAsString()).isEqualTo(a.peerId());
        }
    }

    @Test
    void aRejectionThatOnlyRacesTheSendersOwnOfferIsDropped() {
        TestClient a = client().announce("n1");
        TestClient b = client().announce("n1");
        a.awaitDiscovered(b.peerId());
        // Glare: a offered b, and now rejects b's crossing offer. b gets a's offer; the rejection would make
        // the 1.1.3 client close the connection it is answering, so it is not delivered.
        a.offer(b.peerId(), "v=0 glare offer");
        a.signal("connection-rejected", "{\"reason\":\"initiator_role_conflict\",\"shouldInitiate\":false}", b.peerId());
        a.signal("connection-rejected", "{\"reason\":\"max_peers_reached\",\"currentCount\":3,\"maxPeers\":3}", b.peerId());
        JsonObject delivered = b.awaitType("connection-rejected");
        a.sync();
        b.sync();
        assertThat(b.ofType("offer")).hasSize(1);
        assertThat(b.ofType("connection-rejected")).hasSize(1);
        assertThat(delivered.getAsJsonObject("data").get("reason").getAsString()).isEqualTo("max_peers_reached");
        // Without a crossing offer of its own, the same rejection is relayed (b -> a).
        b.signal("connection-rejected", "{\"reason\":\"initiator_role_conflict\"}", a.peerId());
        assertThat(a.awaitType("connection-rejected").getAsJsonObject("data").get("reason").getAsString())
                .isEqualTo("initiator_role_conflict");
    }

    @Test
    void signalsNeverCrossNetworksEvenWhenTheSenderClaimsTheOtherNetwork() {
        TestClient a = client().announce("global");
        TestClient c = client().announce("n1");
        a.sync();
        c.sync();
        // a claims n1 (the reference trusted this claim)
        a.send("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0 xxxxxxxx\"},\"networkName\":\"n1\",\"targetPeerId\":\""
                + c.peerId() + "\"}");
        JsonObject err = a.await("error", o -> isType(o, "error"));
        assertThat(err.get("error").getAsString()).contains("not the network you announced in");
        a.offer(c.peerId(), "v=0 yyyyyyyyyy");
        a.await("second error", o -> a.ofType("error").size() >= 2);
        c.sync();
        assertThat(c.ofType("offer")).isEmpty();
    }

    @Test
    void unannouncedSenderUsesGlobal() {
        TestClient a = client();
        TestClient b = client().announce("global");
        b.sync();
        a.send("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0 zzzzzzzz\"},\"targetPeerId\":\"" + b.peerId() + "\"}");
        assertThat(b.awaitType("offer").get("networkName").getAsString()).isEqualTo("global");
    }

    @Test
    void signalToAnUnknownPeerGetsAnErrorInTheSendersNetwork() {
        TestClient a = client().announce("n1");
        a.offer("ab".repeat(20), "v=0 nobody");
        JsonObject err = a.awaitType("error");
        assertThat(err.get("networkName").getAsString()).isEqualTo("n1");
        assertThat(err.get("error").getAsString()).contains("is not connected");
    }

    @Test
    void goodbyeIsRelayedToTheClosestFiveAndThePeerLeavesItsNetwork() {
        TestClient leaver = client("0000000000000000000000000000000000000000").announce("n1");
        List<TestClient> others = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            String id = Integer.toHexString(i).repeat(40);
            others.add(client(id).announce("n1"));
        }
        for (TestClient o : others) {
            leaver.awaitDiscovered(o.peerId());
        }
        // the unload form: no networkName; the stored network is used
        leaver.send("{\"type\":\"goodbye\",\"data\":{\"peerId\":\"" + leaver.peerId() + "\",\"timestamp\":1,\"reason\":\"peer_disconnect\"}}");
        for (TestClient o : others) {
            o.await("peer-disconnected", m -> isType(m, "peer-disconnected"));
        }
        int withGoodbye = 0;
        for (TestClient o : others) {
            o.sync();
            List<JsonObject> byes = o.ofType("goodbye");
            if (!byes.isEmpty()) {
                withGoodbye++;
                assertThat(byes.get(0).get("fromPeerId").getAsString()).isEqualTo(leaver.peerId());
                assertThat(byes.get(0).get("networkName").getAsString()).isEqualTo("n1");
            }
        }
        assertThat(withGoodbye).isEqualTo(5);
        // ids 1..5 (digits 1-5) are the closest to 000…
        assertThat(others.get(5).ofType("goodbye")).isEmpty();
        assertThat(others.get(6).ofType("goodbye")).isEmpty();
        // the socket is still served: pings get pongs, and nobody can reach it as a member of n1
        leaver.sync();
        others.get(0).offer(leaver.peerId(), "v=0 to a departed peer");
        others.get(0).await("error", m -> isType(m, "error"));
    }

    @Test
    void aPlainServerHostsSeveralHubNamespacesThatNeverSeeEachOther() {
        // Reference hubs' own mesh clients meet on a plain signaling server, one network per namespace.
        TestClient prodA = client();
        TestClient prodB = client();
        TestClient staging = client();
        for (TestClient c : List.of(prodA, prodB)) {
            c.send("{\"type\":\"announce\",\"data\":{\"isHub\":true},\"networkName\":\"production-mesh\"}");
        }
        staging.send("{\"type\":\"announce\",\"data\":{\"isHub\":true},\"networkName\":\"staging-mesh\"}");
        JsonObject seen = prodA.awaitDiscovered(prodB.peerId());
        assertThat(seen.getAsJsonObject("data").get("isHub").getAsBoolean()).isTrue();
        prodB.awaitDiscovered(prodA.peerId());
        staging.sync();
        prodA.sync();
        assertThat(staging.ofType("peer-discovered")).isEmpty();
        assertThat(prodA.ofType("peer-discovered")).hasSize(1);
        assertThat(server.get().getHubStats().hubs()).hasSize(3);
    }

    @Test
    void pingGetsPong() {
        TestClient a = client();
        a.send("{\"type\":\"ping\",\"data\":{\"t\":1}}");
        JsonObject pong = a.awaitType("pong");
        assertThat(pong.get("targetPeerId").getAsString()).isEqualTo(a.peerId());
        assertThat(pong.get("fromPeerId").getAsString()).isEqualTo("system");
        assertThat(pong.getAsJsonObject("data").get("timestamp").getAsLong()).isPositive();
    }

    @Test
    void cleanupMessagesAreAcceptedSilently() {
        TestClient a = client().announce("n1");
        a.send("{\"type\":\"cleanup\",\"data\":{\"peerId\":\"" + a.peerId() + "\",\"reason\":\"connection_established\"},\"networkName\":\"n1\",\"targetPeerId\":\"" + "cd".repeat(20) + "\"}");
        a.send("{\"type\":\"cleanup-all\",\"data\":{\"peerId\":\"" + a.peerId() + "\",\"reason\":\"browser_unload\"},\"networkName\":\"n1\"}");
        a.sync();
        assertThat(a.ofType("error")).isEmpty();
    }

    @Test
    void unknownAndMissingTypesGetTheReferenceErrorText() {
        TestClient a = client().announce("n1");
        a.send("{\"type\":\"foo\"}");
        JsonObject err = a.awaitType("error");
        assertThat(err.get("error").getAsString()).isEqualTo(
                "Signaling server does not route 'foo' messages. Use WebRTC data channels for peer-to-peer communication.");
        assertThat(err.get("networkName").getAsString()).isEqualTo("n1");
        a.send("{}");
        a.await("undefined error", o -> isType(o, "error") && o.get("error").getAsString().contains("'undefined'"));
        a.send("{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"" + "ef".repeat(20) + "\"},\"networkName\":\"n1\"}");
        a.await("peer-discovered refused", o -> isType(o, "error") && o.get("error").getAsString().contains("'peer-discovered'"));
    }

    @Test
    void disconnectSendsOneScopedNoticeToTheSameNetworkOnly() {
        TestClient a = client().announce("n1");
        TestClient other = client().announce("n2");
        TestClient unannounced = client();
        TestClient b = client().announce("n1");
        a.awaitDiscovered(b.peerId());
        b.close();
        JsonObject gone = a.await("peer-disconnected", o -> isType(o, "peer-disconnected"));
        assertThat(gone.getAsJsonObject("data").get("peerId").getAsString()).isEqualTo(b.peerId());
        assertThat(gone.get("networkName").getAsString()).isEqualTo("n1");
        a.sync();
        other.sync();
        unannounced.sync();
        assertThat(a.ofType("peer-disconnected")).hasSize(1);
        assertThat(other.ofType("peer-disconnected")).isEmpty();
        assertThat(unannounced.ofType("peer-disconnected")).isEmpty();
        Await.until("b unregistered", () -> server.get().getStats().connections() == 3);
    }

    @Test
    void sameIdCanReconnectAsSoonAsTheOldSocketClosed() {
        TestClient a = client().announce("n1");
        String id = a.peerId();
        a.close();
        Await.until("a unregistered", () -> server.get().getStats().connections() == 0);
        TestClient again = client(id);
        assertThat(again.isOpen()).isTrue();
        again.announce("n1");
        again.sync();
    }

    @Test
    void listenersSeeTheLifecycleOfAPeerAndAFailingListenerHurtsNobody() {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.get().addListener(new ServerListener() {
            @Override
            public void onEvent(ServerEvent event) {
                throw new IllegalStateException("listener bug");
            }
        });
        server.get().addListener(new ServerListener() {
            @Override
            public void peerConnected(ServerEvent.PeerConnected e) {
                events.add("connected:" + e.totalConnections());
            }

            @Override
            public void peerAnnounced(ServerEvent.PeerAnnounced e) {
                events.add("announced:" + e.networkName());
            }

            @Override
            public void peerGoodbye(ServerEvent.PeerGoodbye e) {
                events.add("goodbye");
            }

            @Override
            public void peerDisconnected(ServerEvent.PeerDisconnected e) {
                events.add("disconnected:" + e.code());
            }
        });
        TestClient a = client().announce("n1");
        a.send("{\"type\":\"goodbye\",\"data\":{},\"networkName\":\"n1\"}");
        a.sync();
        a.close();
        Await.until("disconnect event", () -> events.contains("disconnected:1000"));
        assertThat(events).containsExactly("connected:1", "announced:n1", "goodbye", "disconnected:1000");
    }
}
