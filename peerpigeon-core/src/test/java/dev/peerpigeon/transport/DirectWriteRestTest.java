package dev.peerpigeon.transport;

import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.testkit.RawWebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sender off the selector writes its frame itself when nothing is queued (CountingChannel.writeNow); what the
 * kernel does not take of it stays pending for the selector and arrives whole, before the next frame.
 */
class DirectWriteRestTest {
    private WebSocketTransport<Connection> transport;

    @AfterEach
    void stop() {
        if (transport != null) {
            transport.stop(2000);
        }
    }

    @Test
    void theRestOfAPartlyWrittenDirectFrameArrivesWholeBeforeTheNext() throws Exception {
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        transport = new WebSocketTransport<>(new WebSocketTransport.Settings("127.0.0.1", 0, 1 << 20, 2, 100,
                64 << 20, 5000), new QuietHandler() {
            @Override
            public Connection onOpen(Connection connection, RequestHead head) {
                opened.complete(connection);
                return connection;
            }
        });
        transport.start(5000);
        try (RawWebSocket client = new RawWebSocket(transport.port(), "/")) {
            Connection c = opened.get(5, TimeUnit.SECONDS);
            String big = "b".repeat(16 << 20); // far more than the kernel takes at once for a 4 KB receive window
            c.send(big);
            c.send("next");
            RawWebSocket.Frame f = client.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.payload().length).isEqualTo(big.length());
            assertThat(new String(client.readFrame().payload(), StandardCharsets.UTF_8)).isEqualTo("next");
        }
    }
}
