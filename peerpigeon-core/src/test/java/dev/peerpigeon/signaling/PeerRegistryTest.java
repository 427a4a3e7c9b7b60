package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.MemoryConnection;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/** Registry rules that need a socket in a state real sockets rarely reach (stale but registered). */
class PeerRegistryTest {

    /** A connection whose open flag the test controls. */
    static final class FakeConnection extends MemoryConnection {
    }

    @Test
    void aStaleSocketNeverRemovesTheNewerRegistrationOfItsId() {
        PeerRegistry registry = new PeerRegistry(10, 10);
        SignalingService service = new SignalingService(registry, new SignalingSettings("pigeonhub-mesh", 256, 8192));
        String id = PeerId.generate();
        FakeConnection oldConn = new FakeConnection();
        PeerSession old = service.open(oldConn, id);
        assertThat(old).isNotNull();

        // A live duplicate is refused.
        FakeConnection dupConn = new FakeConnection();
        assertThat(service.open(dupConn, id)).isNull();
        assertThat(dupConn.open).isFalse();

        // The old socket went half-dead (no longer open) but its close callback has not run yet.
        oldConn.open = false;
        FakeConnection newConn = new FakeConnection();
        PeerSession fresh = service.open(newConn, id);
        assertThat(fresh).isNotNull();
        assertThat(registry.get(id)).isSameAs(fresh);

        // Now the late close of the stale socket arrives: the new registration must survive.
        service.close(old, 1006, "late close");
        assertThat(registry.get(id)).isSameAs(fresh);
        service.onMessage(fresh, TextFrame.of("{\"type\":\"ping\"}"));
        assertThat(newConn.sent).anyMatch(s -> s.contains("\"type\":\"pong\""));
    }

    @Test
    void aCloseRacingAnAnnounceLeavesNoGhostMember() {
        PeerRegistry registry = new PeerRegistry(10, 10);
        SignalingService service = new SignalingService(registry, new SignalingSettings("pigeonhub-mesh", 256, 8192));
        PeerSession s = service.open(new FakeConnection(), PeerId.generate());
        service.close(s, 1000, "bye");
        service.onMessage(s, TextFrame.of("{\"type\":\"announce\",\"data\":{},\"networkName\":\"n1\"}"));
        assertThat(registry.network("n1")).isNull();
        assertThat(registry.networkCount()).isZero();
    }

    @Test
    void networkLimitIsEnforced() {
        PeerRegistry registry = new PeerRegistry(10, 1);
        SignalingService service = new SignalingService(registry, new SignalingSettings("pigeonhub-mesh", 256, 8192));
        FakeConnection a = new FakeConnection();
        FakeConnection b = new FakeConnection();
        PeerSession sa = service.open(a, PeerId.generate());
        PeerSession sb = service.open(b, PeerId.generate());
        service.onMessage(sa, TextFrame.of("{\"type\":\"announce\",\"networkName\":\"one\"}"));
        service.onMessage(sb, TextFrame.of("{\"type\":\"announce\",\"networkName\":\"two\"}"));
        assertThat(b.sent).anyMatch(s -> s.contains("Too many networks"));
        // moving between networks frees the old one
        service.onMessage(sa, TextFrame.of("{\"type\":\"announce\",\"networkName\":\"three\"}"));
        assertThat(registry.networkCount()).isEqualTo(1);
        assertThat(registry.network("three")).isNotNull();
    }
}
