package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.federation.HubConnector;
import dev.peerpigeon.testkit.Await;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The connector reports a refused upgrade's HTTP status as a number (the mesh's self-dial and auth checks use it). */
class WebSocketHubConnectorTest {
    @ParameterizedTest
    @ValueSource(ints = {403, 508})
    void aRefusedUpgradeReportsItsStatus(int status) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread answer = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    StringBuilder head = new StringBuilder();
                    while (head.indexOf("\r\n\r\n") < 0) {
                        int n = in.read(buf);
                        if (n < 0) {
                            return;
                        }
                        head.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 " + status + " Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (Exception ignored) {
                    // the test fails on the missing outcome
                }
            });
            answer.start();
            AtomicInteger refused = new AtomicInteger(-1);
            new WebSocketHubConnector().dial(URI.create("ws://127.0.0.1:" + server.getLocalPort() + "/?peerId=x"), Map.of(),
                    new HubConnector.Options(65_536, 30, 100), new HubConnector.Listener() {
                        @Override
                        public void onOpen(HubConnector.Attempt attempt, Map<String, String> headers) {
                        }

                        @Override
                        public void onMessage(TextFrame text) {
                        }

                        @Override
                        public void onClose(int code, String reason, int refusedStatus) {
                            refused.set(refusedStatus);
                        }
                    });
            Await.until("attempt closed", () -> refused.get() >= 0);
            assertThat(refused.get()).isEqualTo(status);
            answer.join(5_000);
        }
    }
}
