package dev.peerpigeon.hardening;

import dev.peerpigeon.HubStats;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Outbound dials are bounded (issue 9, item 8): a bootstrap hub that accepts TCP but never answers the upgrade is
 * abandoned after {@code handshakeTimeout} and redialed with the usual backoff (it used to stay on attempt 1).
 */
class OutboundDialTimeoutTest {

    @Test
    void aBootstrapThatNeverAnswersTheUpgradeIsAbandonedAndRedialed() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // reads nothing, answers nothing
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            URI bootstrap = URI.create("ws://127.0.0.1:" + silent.getLocalPort());
            try (PeerPigeonServer hub = PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true)
                    .bootstrapHubs(List.of(bootstrap)).handshakeTimeout(300).reconnectInterval(100)
                    .maxReconnectInterval(200).build().start()) {
                TestClient a = TestClient.connect(hub.getPort()).announce("n1");
                TestClient b = TestClient.connect(hub.getPort()).announce("n1");
                a.awaitDiscovered(b.peerId());
                Await.until("redialed after unanswered upgrades", Duration.ofSeconds(15), () -> attempts(hub) >= 3,
                        () -> "attempts: " + attempts(hub));
                HubStats.Bootstrap d = hub.getHubStats().bootstrapHubs().get(0);
                assertThat(d.connected()).isFalse();
                assertThat(d.abandoned()).isFalse();
                assertThat(accepted.size()).isGreaterThanOrEqualTo(2);
                // The abandoned attempt's socket was closed by the hub (no descriptor leak per attempt).
                Socket first = accepted.get(0);
                first.setSoTimeout(5000);
                try {
                    assertThat(first.getInputStream().readAllBytes()).isNotNull(); // reads the request, then EOF
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the hub never closed its abandoned dial", e);
                } catch (IOException reset) {
                    // closed with a reset: closed all the same
                }
                int before = b.ofType("offer").size();
                a.offer(b.peerId(), "v=0 bystander");
                Await.until("bystander relay", () -> b.ofType("offer").size() > before);
                a.close();
                b.close();
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private static int attempts(PeerPigeonServer hub) {
        List<HubStats.Bootstrap> list = hub.getHubStats().bootstrapHubs();
        return list.isEmpty() ? 0 : list.get(0).attemptNumber();
    }
}
