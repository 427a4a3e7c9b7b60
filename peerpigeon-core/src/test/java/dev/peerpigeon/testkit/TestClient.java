package dev.peerpigeon.testkit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.PeerId;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A scripted WebSocket client for tests: records every frame it receives and offers await helpers
 * with deadlines. Frames are shaped like the real client's ({@code type,data,maxPeers,networkName}).
 */
public final class TestClient implements AutoCloseable {
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    private final String peerId;
    private final Client ws;
    private final List<JsonObject> received = new CopyOnWriteArrayList<>();
    private final List<String> rawReceived = new CopyOnWriteArrayList<>();
    private final CountDownLatch opened = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile int closeCode = -1;
    private volatile String closeReason;
    private volatile boolean everOpened;
    private volatile String network = "global";
    private volatile boolean recording = true;
    private final java.util.concurrent.atomic.AtomicInteger pongs = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong framesReceived = new java.util.concurrent.atomic.AtomicLong();

    private TestClient(URI uri, String peerId) {
        this.peerId = peerId;
        this.ws = new Client(uri);
    }

    /** Connects to {@code ws://127.0.0.1:port/?peerId=id} and waits for the outcome (open or close). */
    public static TestClient connect(int port, String peerId) {
        return connect(URI.create("ws://127.0.0.1:" + port + "/?peerId=" + peerId), peerId);
    }

    public static TestClient connect(int port) {
        return connect(port, PeerId.generate());
    }

    public static TestClient connect(URI uri, String peerId) {
        return connect(uri, peerId, null);
    }

    /** Connects over {@code wss://} trusting {@code tls} (null: plain, or the JVM defaults for wss). */
    public static TestClient connect(URI uri, String peerId, javax.net.ssl.SSLContext tls) {
        TestClient c = new TestClient(uri, peerId);
        if (tls != null) {
            c.ws.setSocketFactory(tls.getSocketFactory());
        }
        c.ws.connect();
        Await.until("connection outcome for " + uri, DEFAULT_WAIT,
                () -> c.opened.getCount() == 0 || c.closed.getCount() == 0);
        return c;
    }

    public String peerId() {
        return peerId;
    }

    public boolean isOpen() {
        return ws.isOpen();
    }

    public boolean everOpened() {
        return everOpened;
    }

    public int closeCode() {
        return closeCode;
    }

    public String closeReason() {
        return closeReason;
    }

    public void send(String text) {
        ws.send(text);
    }

    public void sendBinary(byte[] bytes) {
        ws.send(ByteBuffer.wrap(bytes));
    }

    /** Sends an announce in {@code network}, like the real client. */
    public TestClient announce(String network) {
        this.network = network;
        send("{\"type\":\"announce\",\"data\":{\"peerId\":\"" + peerId + "\"},\"maxPeers\":3,\"networkName\":\""
                + network + "\"}");
        return this;
    }

    /** Sends a client signal in the current network, like the real client. */
    public void signal(String type, String dataJson, String target) {
        send("{\"type\":\"" + type + "\",\"data\":" + dataJson + ",\"maxPeers\":3,\"networkName\":\"" + network
                + "\",\"targetPeerId\":\"" + target + "\"}");
    }

    public void offer(String target, String sdp) {
        signal("offer", "{\"type\":\"offer\",\"sdp\":\"" + sdp + "\"}", target);
    }

    public List<JsonObject> received() {
        return new ArrayList<>(received);
    }

    public List<String> rawReceived() {
        return new ArrayList<>(rawReceived);
    }

    public List<JsonObject> ofType(String type) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonObject o : received) {
            if (o.has("type") && type.equals(o.get("type").getAsString())) {
                out.add(o);
            }
        }
        return out;
    }

    /** Waits for a received frame matching {@code p} and returns it. */
    public JsonObject await(String what, Predicate<JsonObject> p) {
        return await(what, p, DEFAULT_WAIT);
    }

    public JsonObject await(String what, Predicate<JsonObject> p, Duration wait) {
        JsonObject[] found = new JsonObject[1];
        Await.until(peerId.substring(0, 8) + " receives " + what, wait, () -> {
            for (JsonObject o : received) {
                if (p.test(o)) {
                    found[0] = o;
                    return true;
                }
            }
            return false;
        }, () -> "received so far: " + rawReceived);
        return found[0];
    }

    /** How many {@code peer-discovered} frames about {@code peer} arrived (exactly-once checks). */
    public long discoveredCount(String peer) {
        return ofType("peer-discovered").stream()
                .filter(m -> m.getAsJsonObject("data").get("peerId").getAsString().equals(peer)).count();
    }

    /** True when a {@code peer-disconnected} frame about {@code peer} arrived. */
    public boolean sawDisconnected(String peer) {
        return ofType("peer-disconnected").stream()
                .anyMatch(m -> m.getAsJsonObject("data").get("peerId").getAsString().equals(peer));
    }

    public JsonObject awaitType(String type) {
        return await(type, o -> o.has("type") && type.equals(o.get("type").getAsString()));
    }

    /** Waits for {@code peer-discovered} about {@code peer}. */
    public JsonObject awaitDiscovered(String peer) {
        return await("peer-discovered of " + peer.substring(0, 8), o -> isType(o, "peer-discovered")
                && o.getAsJsonObject("data").get("peerId").getAsString().equals(peer));
    }

    public static boolean isType(JsonObject o, String type) {
        return o.has("type") && type.equals(o.get("type").getAsString());
    }

    public void awaitClosed() {
        Await.until(peerId.substring(0, 8) + " closed", DEFAULT_WAIT, () -> closed.getCount() == 0);
    }

    /** Sends a ping and waits for the matching pong: everything sent before has been processed. */
    public void sync() {
        int before = pongs.get();
        send("{\"type\":\"ping\",\"data\":{}}");
        Await.until(peerId.substring(0, 8) + " pong", DEFAULT_WAIT, () -> pongs.get() > before);
    }

    /** Stops keeping received frames (they are only counted): for high-volume tests. */
    public TestClient quiet() {
        recording = false;
        return this;
    }

    public long framesReceived() {
        return framesReceived.get();
    }

    public void clear() {
        received.clear();
        rawReceived.clear();
    }

    /** Closes with a handshake, bounded: after 10 s without the server's answer the socket is dropped. */
    @Override
    public void close() {
        ws.close();
        try {
            if (!closed.await(10, TimeUnit.SECONDS) && ws.getConnection() != null) {
                ws.getConnection().closeConnection(1006, "close handshake timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drops the TCP connection without a close handshake. */
    public void kill() {
        ws.getConnection().closeConnection(1006, "killed by test");
    }

    private final class Client extends WebSocketClient {
        Client(URI uri) {
            super(uri);
            setConnectionLostTimeout(0);
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            everOpened = true;
            opened.countDown();
        }

        @Override
        public void onMessage(String message) {
            framesReceived.incrementAndGet();
            if (message.startsWith("{\"type\":\"pong\"")) {
                pongs.incrementAndGet();
            }
            if (!recording) {
                return;
            }
            rawReceived.add(message);
            try {
                received.add(JsonParser.parseString(message).getAsJsonObject());
            } catch (RuntimeException e) {
                received.add(new JsonObject());
            }
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            closeCode = code;
            closeReason = reason;
            closed.countDown();
        }

        @Override
        public void onError(Exception ex) {
            // followed by onClose
        }
    }
}
