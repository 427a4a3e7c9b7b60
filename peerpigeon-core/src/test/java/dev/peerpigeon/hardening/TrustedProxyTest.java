package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Behind a trusted proxy (the test client on 127.0.0.1 plays the proxy) each forwarded client gets its own per-IP
 * limit; from an untrusted peer the forwarding headers are ignored.
 */
class TrustedProxyTest {

    private static RawWebSocket open(int port, String... headers) throws Exception {
        return new RawWebSocket(port, "/?peerId=" + PeerId.generate(), "127.0.0.1", headers);
    }

    private static int status(RawWebSocket ws) {
        return RawHttp.status(ws.handshakeResponse());
    }

    @Test
    void behindATrustedProxyEachForwardedAddressHasItsOwnPerIpLimit() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnectionsPerIp(2)
                .maxConnectionsPerIpPerSecond(0).trustedProxies(List.of("127.0.0.1/32")).build().start()) {
            List<RawWebSocket> open = new ArrayList<>();
            try (Bystanders bystanders = Bystanders.join(server.getPort(), "app")) { // two direct: the proxy itself
                open.add(open(server.getPort(), "X-Forwarded-For: 203.0.113.7"));
                open.add(open(server.getPort(), "X-Forwarded-For: 198.51.100.1, 203.0.113.7"));
                assertThat(open).allMatch(ws -> status(ws) == 101);
                RawWebSocket third = open(server.getPort(), "X-Forwarded-For: 203.0.113.7");
                open.add(third);
                assertThat(status(third)).isEqualTo(429);
                RawWebSocket other = open(server.getPort(), "Forwarded: for=\"[2001:db8::9]:1234\"");
                open.add(other);
                assertThat(status(other)).isEqualTo(101);
                RawWebSocket another = open(server.getPort(), "X-Forwarded-For: 198.51.100.2");
                open.add(another);
                assertThat(status(another)).isEqualTo(101);
                // A slot of a forwarded client is freed when its connection closes.
                open.get(0).close();
                dev.peerpigeon.testkit.Await.until("forwarded slot freed", () -> {
                    try (RawWebSocket again = open(server.getPort(), "X-Forwarded-For: 203.0.113.7")) {
                        return status(again) == 101;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                bystanders.relayBothWays();
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }
        }
    }

    @Test
    void fromAnUntrustedPeerTheHeadersAreIgnored() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnectionsPerIp(4)
                .maxConnectionsPerIpPerSecond(0).build().start();
             Bystanders bystanders = Bystanders.join(server.getPort(), "app")) { // two of the four from 127.0.0.1
            List<RawWebSocket> open = new ArrayList<>();
            try {
                open.add(open(server.getPort(), "X-Forwarded-For: 203.0.113.1"));
                open.add(open(server.getPort(), "Forwarded: for=203.0.113.2"));
                assertThat(open).allMatch(ws -> status(ws) == 101);
                RawWebSocket fifth = open(server.getPort(), "X-Forwarded-For: 203.0.113.3");
                open.add(fifth);
                assertThat(status(fifth)).isEqualTo(429); // all five are 127.0.0.1
                bystanders.relayBothWays();
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }
        }
    }

    @Test
    void invalidTrustedProxiesAreRefusedWithAClearError() {
        assertThatThrownBy(() -> PeerPigeonServer.builder().trustedProxies(List.of("10.0.0.0/8", "nginx")))
                .isInstanceOf(PeerPigeonException.ConfigException.class)
                .hasMessageContaining("trustedProxies").hasMessageContaining("'nginx'");
    }
}
