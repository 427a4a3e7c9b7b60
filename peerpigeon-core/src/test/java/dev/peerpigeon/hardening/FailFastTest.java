package dev.peerpigeon.hardening;

import dev.peerpigeon.AdmissionHook;
import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fail fast, never limp (issue 9, item 7): when the transport dies on its own the server says so (stopped with
 * the cause), stops serving, and {@code isRunning()} turns false. The fault is a real path: an
 * {@link AdmissionHook} runs on a Java-WebSocket worker thread, and an Error there (here an OutOfMemoryError
 * the test throws, as a hook would under memory pressure) makes Java-WebSocket shut its server down.
 */
class FailFastTest {

    private static boolean refusesConnections(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aFatalErrorOnATransportThreadStopsTheServerWithItsCause() throws Exception {
        AdmissionHook faulty = req -> {
            if (req.queryParam("oom") != null) {
                throw new OutOfMemoryError("injected by the test");
            }
            return AdmissionHook.Decision.accept();
        };
        List<ServerEvent> events = new CopyOnWriteArrayList<>();
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").admission(faulty).build();
        server.addListener(new ServerListener() {
            @Override
            public void onEvent(ServerEvent e) {
                if (e instanceof ServerEvent.Stopped || e instanceof ServerEvent.Error) {
                    events.add(e);
                }
            }
        });
        try (server) {
            server.start();
            int port = server.getPort();
            TestClient a = TestClient.connect(port).announce("n1");
            TestClient b = TestClient.connect(port).announce("n1");
            a.awaitDiscovered(b.peerId());
            a.offer(b.peerId(), "v=0 before");
            b.awaitType("offer");
            try {
                RawHttp.upgrade(port, "/?peerId=" + PeerId.generate() + "&oom=1");
            } catch (IOException expected) {
                // the server goes away under this request
            }
            Await.until("stopped with a cause", () -> events.stream().anyMatch(e -> e instanceof ServerEvent.Stopped));
            ServerEvent.Stopped stopped = (ServerEvent.Stopped) events.stream()
                    .filter(e -> e instanceof ServerEvent.Stopped).findFirst().orElseThrow();
            assertThat(stopped.failed()).isTrue();
            assertThat(stopped.cause()).isInstanceOf(OutOfMemoryError.class).hasMessage("injected by the test");
            assertThat(events).anyMatch(e -> e instanceof ServerEvent.Error err && err.error() == stopped.cause());
            assertThat(server.isRunning()).isFalse();
            assertThat(server.getStats().isRunning()).isFalse();
            // Not limping: the bystanders are told (so they reconnect elsewhere) and the port is closed.
            a.awaitClosed();
            b.awaitClosed();
            Await.until("port closed", () -> refusesConnections(port));
            server.stop(); // idempotent: no second stopped event
        }
        assertThat(events.stream().filter(e -> e instanceof ServerEvent.Stopped).count()).isEqualTo(1);
    }

    @Test
    void aStopDuringStartWins() throws Exception {
        for (int i = 0; i < 30; i++) {
            PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build();
            AtomicReference<RuntimeException> startOutcome = new AtomicReference<>();
            Thread starter = new Thread(() -> {
                try {
                    server.start();
                } catch (RuntimeException e) {
                    startOutcome.set(e);
                }
            });
            starter.start();
            if (i % 2 == 1) {
                Await.until("starting", () -> server.getPort() > 0 || !starter.isAlive()); // stop while binding
            }
            server.stop();
            starter.join(10_000);
            assertThat(server.isRunning()).as("a stop() that returned wins over a concurrent start()").isFalse();
            if (startOutcome.get() != null) {
                assertThat(startOutcome.get()).isInstanceOf(PeerPigeonException.StateException.class);
            }
            int port = server.getPort();
            if (port > 0) {
                Await.until("nothing left listening", () -> refusesConnections(port));
            }
            server.stop();
        }
    }
}
