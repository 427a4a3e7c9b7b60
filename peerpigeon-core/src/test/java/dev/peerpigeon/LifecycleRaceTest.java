package dev.peerpigeon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** start() racing stop(): a stop that returned has won, and the port is already free. */
class LifecycleRaceTest {

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean canBindNow(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void whenStopReturnsThePortIsFreeAndNoStartedEventFollows() throws Exception {
        int port = freePort();
        for (int i = 0; i < 40; i++) {
            AtomicInteger started = new AtomicInteger();
            PeerPigeonServer server = PeerPigeonServer.builder().port(port).maxPortRetries(0).host("127.0.0.1").build()
                    .addListener(new ServerListener() {
                        @Override
                        public void started(ServerEvent.Started e) {
                            started.incrementAndGet();
                        }
                    });
            CountDownLatch go = new CountDownLatch(1);
            Thread starter = new Thread(() -> {
                go.countDown();
                try {
                    server.start();
                } catch (PeerPigeonException.StateException expected) {
                    // stopped before or while starting
                }
            });
            starter.start();
            assertThat(go.await(10, TimeUnit.SECONDS)).isTrue();
            server.stop();
            assertThat(canBindNow(port)).as("port free as soon as stop() returned (round %d)", i).isTrue();
            int startedWhenStopped = started.get();
            starter.join(10_000);
            assertThat(server.isRunning()).isFalse();
            assertThat(started.get()).as("no started event after a stop that won").isEqualTo(startedWhenStopped);
        }
    }
}
