package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static dev.peerpigeon.federation.Fakes.id;
import static org.assertj.core.api.Assertions.assertThat;

/** Dialing and redialing through a fake {@link HubConnector}: no sockets. */
class DialerTest {
    private static final String SELF = id('0');
    private static final URI ONE = URI.create("ws://127.0.0.1:1");
    private static final URI TWO = URI.create("ws://127.0.0.1:2");

    private final Fakes.FakeConnector connector = new Fakes.FakeConnector();
    private HubMesh mesh;

    private HubMesh start(List<URI> bootstrap) {
        MeshSettings s = new MeshSettings(SELF, "ns", "127.0.0.1", "s3cret", bootstrap, true, 0, 5, 20, 0, 65_536,
                30_000, 100, 60_000, 1000, 10_000, null, false, 0, 3);
        mesh = new HubMesh(s, new Fakes.FakeLocal(), new MeshObserver() {
        }, connector);
        mesh.start(9);
        return mesh;
    }

    @AfterEach
    void stop() {
        if (mesh != null) {
            mesh.stop();
        }
    }

    private static Fakes.FakeConnector.Dial last(Fakes.FakeConnector c, URI uri) {
        Fakes.FakeConnector.Dial d = null;
        for (Fakes.FakeConnector.Dial x : c.dials) {
            if (x.uri().getPort() == uri.getPort()) {
                d = x;
            }
        }
        return d;
    }

    @Test
    void anUpgradeRefusedWithLoopDetectedIsNeverRedialedWhileOtherFailuresAre() {
        start(List.of(ONE, TWO));
        Await.until("both dialed", () -> connector.dialsTo(ONE) == 1 && connector.dialsTo(TWO) == 1);
        last(connector, ONE).listener().onClose(1002, "refused", Dialer.LOOP_DETECTED);
        for (int n = 1; n <= 3; n++) {
            long want = n;
            Await.until("attempt " + n + " of TWO", () -> connector.dialsTo(TWO) == want);
            last(connector, TWO).listener().onClose(1006, "connection refused", 0);
        }
        Await.until("TWO redialed after backoff", () -> connector.dialsTo(TWO) == 4);
        assertThat(connector.dialsTo(ONE)).isEqualTo(1);
        assertThat(mesh.dialerInfos()).extracting(HubMesh.DialerInfo::attemptNumber).containsExactly(1, 4);
    }

    @Test
    void aHubAnsweringWithOurOwnIdIsClosedAndNotRedialed() {
        start(List.of(ONE, TWO));
        Await.until("dialed", () -> connector.dialsTo(ONE) == 1 && connector.dialsTo(TWO) == 1);
        Fakes.FakeConnector.Dial d = last(connector, ONE);
        d.conn().open = true;
        d.listener().onOpen(d.conn(), Map.of(HubMesh.HUB_HEADER, SELF + " ns " + HubMesh.CAPABILITY));
        assertThat(d.conn().open).isFalse();
        assertThat(d.conn().closeCode).isEqualTo(1000);
        d.listener().onClose(1000, "Self connection", 0);
        last(connector, TWO).listener().onClose(1006, "refused", 0);
        Await.until("TWO redialed", () -> connector.dialsTo(TWO) == 2);
        last(connector, TWO).listener().onClose(1006, "refused", 0);
        Await.until("TWO redialed again", () -> connector.dialsTo(TWO) == 3);
        assertThat(connector.dialsTo(ONE)).isEqualTo(1);
        assertThat(d.conn().sent).isEmpty(); // never announced to itself
    }

    @Test
    void anOpenedLinkAnnouncesWithTheSecretOnlyToNamedHubsAndRegisters() {
        start(List.of(URI.create("http://127.0.0.1:1/x?peerId=evil&hubSecret=old&k=v")));
        Await.until("dialed", () -> connector.dialsTo(ONE) == 1);
        Fakes.FakeConnector.Dial d = last(connector, ONE);
        assertThat(d.uri().toString()).isEqualTo("ws://127.0.0.1:1/x?k=v&peerId=" + SELF + "&hubSecret=s3cret");
        assertThat(d.headers()).containsKey(HubMesh.HUB_HEADER);
        String remote = id('a');
        d.conn().open = true;
        d.listener().onOpen(d.conn(), Map.of(HubMesh.HUB_HEADER, remote + " ns " + HubMesh.CAPABILITY + " maxFrame=90000"));
        assertThat(d.conn().sent.get(0)).startsWith("{\"type\":\"announce\",\"networkName\":\"ns\"");
        Await.until("linked", () -> mesh.reachableHubCount() == 1 && mesh.pathLength(remote) == 1);
        Await.until("routes advertised", () -> d.conn().sent.stream().anyMatch(f -> f.startsWith("{\"type\":\"hub-routes\"")));
        d.conn().open = false;
        d.listener().onClose(1001, "gone", 0);
        Await.until("unlinked and redialed", () -> mesh.reachableHubCount() == 0 && connector.dialsTo(ONE) == 2);
    }

    @Test
    void aHubInAnotherNamespaceIsRefused() {
        start(List.of(ONE));
        Await.until("dialed", () -> connector.dialsTo(ONE) == 1);
        Fakes.FakeConnector.Dial d = last(connector, ONE);
        d.conn().open = true;
        d.listener().onOpen(d.conn(), Map.of(HubMesh.HUB_HEADER, id('a') + " other " + HubMesh.CAPABILITY));
        assertThat(d.conn().closeCode).isEqualTo(1008);
        assertThat(mesh.reachableHubCount()).isZero();
    }

    @Test
    void aDialedReferenceHubIsListedUnderItsRealHubPeerIdOnceItsMeshClientIsListed() {
        start(List.of(ONE));
        Await.until("dialed", () -> connector.dialsTo(ONE) == 1);
        Fakes.FakeConnector.Dial d = last(connector, ONE);
        d.conn().open = true;
        d.listener().onOpen(d.conn(), Map.of()); // a reference hub: no header, no id
        Await.until("linked", () -> mesh.linkInfos().size() == 1);
        String synthetic = mesh.linkInfos().get(0).hubId();
        String real = id('e');
        String other = id('b');
        String ns = new Fakes.FakeLocal().settings().hubMeshNamespace();
        // Its 4.1 listing of the namespace: another hub linked into it (announced with host and port), then its
        // own mesh client (no port).
        d.listener().onMessage(TextFrame.of("{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"" + other + "\",\"isHub\":true,"
                + "\"port\":3001,\"host\":\"h\"},\"networkName\":\"" + ns + "\",\"targetPeerId\":\"" + SELF + "\"}"));
        d.listener().onMessage(TextFrame.of("{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"" + real + "\",\"isHub\":true},"
                + "\"networkName\":\"" + ns + "\",\"targetPeerId\":\"" + SELF + "\"}"));
        Await.until("listed under its real id", () -> mesh.linkInfos().get(0).hubId().equals(real));
        assertThat(mesh.dialerInfos().get(0).remoteHubId()).isEqualTo(real);
        assertThat(mesh.isKnownHubId(real)).isTrue();
        assertThat(mesh.isKnownHubId(synthetic)).isTrue(); // routing keeps the synthetic id
        assertThat(mesh.isKnownHubId(other)).isFalse();
    }
}
