package dev.peerpigeon;

import com.google.gson.JsonObject;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A returning peer gets its id back fast when the socket holding it went silent (no pong to the probe), and a live
 * peer is never displaced (409 as before). Default settings.
 */
class IdTakeoverTest {
    private PeerPigeonServer server;
    private final List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        server.stop();
    }

    private TestClient client(String id) {
        TestClient c = TestClient.connect(server.getPort(), id);
        open.add(c);
        return c;
    }

    private static long departures(TestClient watcher, String id) {
        return watcher.ofType("peer-disconnected").stream()
                .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(id)).count();
    }

    @Test
    void aSilentSocketsIdIsTakenOverWithinThreeSeconds() throws Exception {
        TestClient watcher = client(PeerId.generate()).announce("n1");
        String id = PeerId.generate();
        RawWebSocket silent = new RawWebSocket(server.getPort(), "/?peerId=" + id); // never answers a ping
        open.add(silent);
        assertThat(RawHttp.status(silent.handshakeResponse())).isEqualTo(101);
        silent.sendText("{\"type\":\"announce\",\"data\":{\"peerId\":\"" + id + "\"},\"networkName\":\"n1\"}");
        watcher.awaitDiscovered(id);
        long asked = System.nanoTime();
        CompletableFuture<TestClient> returning = CompletableFuture.supplyAsync(() -> client(id));
        // While its upgrade is held no transport thread waits: others connect and are served meanwhile.
        TestClient other = client(PeerId.generate());
        other.sync();
        watcher.sync();
        assertThat(returning).as("still held while others were served").isNotDone();
        Await.until("the returning peer is accepted", Duration.ofSeconds(3),
                () -> returning.isDone() && returning.join().everOpened());
        TestClient back = returning.join();
        long tookMillis = (System.nanoTime() - asked) / 1_000_000;
        assertThat(tookMillis).as("accepted after (ms)").isLessThanOrEqualTo(3_000);
        assertThat(back.closeCode()).isEqualTo(-1);
        back.announce("n1");
        watcher.await("rediscovered", o -> isType(o, "peer-discovered")
                && o.getAsJsonObject("data").get("peerId").getAsString().equals(id) && departures(watcher, id) == 1);
        watcher.sync();
        assertThat(departures(watcher, id)).as("the old socket's departure, announced once").isEqualTo(1);
        back.sync(); // the new registration works
        assertThat(silent.awaitServerClose(5_000)).as("the silent socket was dropped").isTrue();
    }

    @Test
    void aLiveSocketKeepsItsIdAndTheNewcomerGets409() throws Exception {
        TestClient live = client(PeerId.generate()).announce("n1"); // answers pings (Java-WebSocket client)
        TestClient watcher = client(PeerId.generate()).announce("n1");
        watcher.awaitDiscovered(live.peerId());
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttp.upgrade(server.getPort(), "/?peerId=" + live.peerId());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Await.until("answered", Duration.ofSeconds(5), answer::isDone);
        assertThat(RawHttp.status(answer.join())).isEqualTo(409);
        live.sync();
        watcher.sync();
        assertThat(departures(watcher, live.peerId())).isZero();
        JsonObject pong = live.awaitType("pong");
        assertThat(pong).isNotNull();
    }
}
