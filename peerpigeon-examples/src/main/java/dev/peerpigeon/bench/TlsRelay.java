package dev.peerpigeon.bench;

import dev.peerpigeon.PeerPigeonServer;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * wss against ws on the same embedded server configuration: W2-like relay (pairs, ~1 KB offers answered, a window
 * of messages in flight per pair, closed loop) through Java-WebSocket clients, once over plain ws and once over the
 * built-in TLS (a self-signed certificate made with the JDK's keytool). Prints one JSON line with both rates and the
 * ratio. The NIO load generator has no TLS client; this uses the library's client for both runs, so the ratio
 * compares like with like (the absolute rates are the client's, not the server's limit).
 * {@code java -cp peerpigeon-bench.jar dev.peerpigeon.bench.TlsRelay [pairs=20] [seconds=10] [window=8]}
 *
 * <p>Threads: the main thread runs the measurement; each client's reader thread answers and re-sends; the counters
 * are atomic.
 */
public final class TlsRelay {
    private static final String SDP = "v=0 " + "x".repeat(1000);

    public static void main(String[] args) throws Exception {
        int pairs = 20;
        int seconds = 10;
        int window = 8;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "pairs" -> pairs = Integer.parseInt(kv[1]);
                case "seconds" -> seconds = Integer.parseInt(kv[1]);
                case "window" -> window = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        Path dir = Files.createTempDirectory("peerpigeon-tls-relay");
        Path p12 = dir.resolve("server.p12");
        char[] pw = "changeit".toCharArray();
        keytool(p12, pw);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, pw);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        double ws = run(null, null, pairs, seconds, window);
        double wss = run(server, client, pairs, seconds, window);
        System.out.println(String.format(Locale.ROOT,
                "{\"workload\":\"tls-relay\",\"pairs\":%d,\"seconds\":%d,\"window\":%d,\"wsMsgsPerSecond\":%.0f,"
                        + "\"wssMsgsPerSecond\":%.0f,\"wssOverWs\":%.2f}", pairs, seconds, window, ws, wss, wss / ws));
        Files.deleteIfExists(p12);
        Files.deleteIfExists(dir);
    }

    private static void keytool(Path p12, char[] pw) throws IOException, InterruptedException {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", new String(pw))
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed");
        }
    }

    /** One timed run; returns relayed messages (offers and answers) per second. */
    private static double run(SSLContext serverTls, SSLContext clientTls, int pairs, int seconds, int window)
            throws Exception {
        PeerPigeonServer.Builder b = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxConnectionsPerIp(100_000).maxConnectionsPerIpPerSecond(100_000)
                .maxMessagesPerSecond(1_000_000, 1_000_000);
        if (serverTls != null) {
            b.tls(serverTls);
        }
        try (PeerPigeonServer s = b.build().start()) {
            String scheme = serverTls == null ? "ws" : "wss";
            AtomicLong relayed = new AtomicLong();
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < pairs * 2; i++) {
                String id = String.format(Locale.ROOT, "%040x", 0xabc000L + i);
                String net = "tls-relay-" + (i / 2);
                Peer p = new Peer(URI.create(scheme + "://127.0.0.1:" + s.getPort() + "/?peerId=" + id), id, net, relayed);
                if (clientTls != null) {
                    p.setSocketFactory(clientTls.getSocketFactory());
                }
                if (!p.connectBlocking(10, TimeUnit.SECONDS)) {
                    throw new IOException("could not connect " + p.getURI());
                }
                p.send("{\"type\":\"announce\",\"data\":{},\"networkName\":\"" + net + "\"}");
                peers.add(p);
            }
            for (int i = 0; i < pairs; i++) {
                peers.get(2 * i).partner = peers.get(2 * i + 1).id;
                peers.get(2 * i + 1).partner = peers.get(2 * i).id;
                peers.get(2 * i).discovered.await(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < pairs; i++) {
                for (int w = 0; w < window; w++) {
                    peers.get(2 * i).offer();
                }
            }
            long t0 = System.nanoTime();
            long before = relayed.get();
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
            long n = relayed.get() - before;
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            for (Peer p : peers) {
                p.stopping = true;
                p.closeBlocking();
            }
            return rate;
        }
    }

    /** One client: the first of a pair sends offers, the second answers each; both count what they receive. */
    private static final class Peer extends WebSocketClient {
        final String id;
        final String network;
        final AtomicLong relayed;
        final CountDownLatch discovered = new CountDownLatch(1);
        volatile String partner;
        volatile boolean stopping;

        Peer(URI uri, String id, String network, AtomicLong relayed) {
            super(uri);
            this.id = id;
            this.network = network;
            this.relayed = relayed;
        }

        void offer() {
            send("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" + SDP + "\"},\"targetPeerId\":\"" + partner
                    + "\",\"networkName\":\"" + network + "\"}");
        }

        @Override
        public void onMessage(String message) {
            if (stopping) {
                return;
            }
            if (message.startsWith("{\"type\":\"peer-discovered\"")) {
                discovered.countDown();
            } else if (message.startsWith("{\"type\":\"offer\"")) {
                relayed.incrementAndGet();
                send("{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":\"" + SDP + "\"},\"targetPeerId\":\""
                        + partner + "\",\"networkName\":\"" + network + "\"}");
            } else if (message.startsWith("{\"type\":\"answer\"")) {
                relayed.incrementAndGet();
                offer();
            }
        }

        @Override
        public void onOpen(ServerHandshake h) {
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
        }

        @Override
        public void onError(Exception ex) {
        }
    }
}
