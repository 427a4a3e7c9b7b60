package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TcpProxy;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Item 4 of issue 9: the hub secret and URI passwords never show in HTTP answers, events or logs. */
class SecretRedactionTest {
    /** Unique to this class, so the log file check cannot be confused by another test's values. */
    private static final String SECRET = "redact-me-7f3a9c-secret";
    private static final String PASSWORD = "pw-9d2e71-pass";
    private static final String USER = "mesh-user-41";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static PeerPigeonServer.Builder hub() {
        return HubCluster.testHub("secret-mesh").hubSecret(SECRET);
    }


    private static void assertSecretFree(String where, String text) {
        assertThat(text).as(where).doesNotContain(SECRET).doesNotContain(PASSWORD).doesNotContain(USER);
    }

    @Test
    void statsEventsAndLogsOfAHubDialingWithCredentialsNeverShowThem() throws Exception {
        List<ServerEvent> events = new CopyOnWriteArrayList<>();
        try (PeerPigeonServer guarded = hub().build().start(); TcpProxy link = new TcpProxy(guarded.getPort())) {
            TestClient a = TestClient.connect(guarded.getPort()).announce("n1");
            TestClient b = TestClient.connect(guarded.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            URI withCredentials = URI.create("ws://" + USER + ":" + PASSWORD + "@127.0.0.1:" + link.port() + "/hub/"
                    + SECRET + "?hubSecret=" + SECRET);
            PeerPigeonServer dialer = hub().bootstrapHubs(List.of(withCredentials)).build();
            dialer.addListener(new ServerListener() {
                @Override
                public void onEvent(ServerEvent event) {
                    events.add(event);
                }
            });
            try (dialer) {
                dialer.start();
                Await.until("linked with the secret", WAIT, () -> MeshView.reachableHubCount(dialer) == 1
                        && MeshView.reachableHubCount(guarded) == 1);
                Await.until("bootstrapConnected event", WAIT,
                        () -> events.stream().anyMatch(e -> e instanceof ServerEvent.BootstrapConnected));
                for (PeerPigeonServer s : List.of(dialer, guarded)) {
                    for (String path : List.of("/hubs", "/hubstats", "/stats", "/health")) {
                        String answer = RawHttp.get(s.getPort(), path);
                        assertThat(RawHttp.status(answer)).isEqualTo(200);
                        assertSecretFree(path + " of " + s.getPort(), answer);
                    }
                    assertSecretFree("getHubStats", s.getHubStats().toString());
                    assertSecretFree("getStats", s.getStats().toString());
                    assertSecretFree("getPeers", s.getPeers().toString());
                    assertSecretFree("config", s.config().toString());
                }
                // The redacted form still says where the link goes.
                assertThat(RawHttp.body(RawHttp.get(dialer.getPort(), "/hubstats")))
                        .contains("ws://***@127.0.0.1:" + link.port() + "/hub/***?hubSecret=***");
                Bystanders.relay(a, b);
                link.cut(); // a disconnect event and a redial: both paths log the URI
                Await.until("bootstrapDisconnected event", WAIT,
                        () -> events.stream().anyMatch(e -> e instanceof ServerEvent.BootstrapDisconnected));
                Await.until("relinked", WAIT, () -> MeshView.reachableHubCount(dialer) == 1);
            }
            assertSecretFree("events", events.toString());
            Bystanders.relay(b, a);
            a.close();
            b.close();
        }
        TestLogs.awaitLine(WAIT, "Connected to bootstrap hub ws://***@127.0.0.1:");
        for (String line : TestLogs.lines()) {
            assertSecretFree("log line", line);
        }
    }

    @Test
    void onlyTheExactHubPathFormIsACredentialAndAWrongSecretIsRefusedBeforeTheUpgrade() throws Exception {
        try (PeerPigeonServer guarded = hub().build().start()) {
            int port = guarded.getPort();
            TestClient a = TestClient.connect(port).announce("n1");
            // Ordinary clients whose path merely starts with /hub are ordinary peers.
            for (String path : List.of("/hub", "/hubba", "/hubs/x", "/a/hub/b")) {
                String id = PeerId.generate();
                TestClient c = TestClient.connect(URI.create("ws://127.0.0.1:" + port + path + "?peerId=" + id), id);
                assertThat(c.isOpen()).as(path).isTrue();
                c.announce("n1");
                a.awaitDiscovered(id);
                Bystanders.relay(c, a);
                Bystanders.relay(a, c);
                c.close();
            }
            // A credential that does not match: 403 before the upgrade, in either form.
            for (String target : List.of("/hub/wrong-secret-123?peerId=" + PeerId.generate(),
                    "/?hubSecret=wrong-secret-123&peerId=" + PeerId.generate(),
                    "/?hubSecret=" + SECRET + "x&peerId=" + PeerId.generate())) {
                String answer = RawHttp.upgrade(port, target);
                assertThat(RawHttp.status(answer)).as(target).isEqualTo(403);
                assertThat(RawHttp.body(answer)).contains("Invalid hub secret");
            }
            // A Java hub (it says so in X-PeerPigeon-Hub) without the secret: 403 before the upgrade too.
            String noSecret = RawHttp.upgrade(port, "/?peerId=" + PeerId.generate(),
                    "X-PeerPigeon-Hub: " + PeerId.generate() + " secret-mesh pp-route-v1");
            assertThat(RawHttp.status(noSecret)).isEqualTo(403);
            assertThat(RawHttp.body(noSecret)).contains("Hub authentication required");
            // A Java hub without the secret never links, and says why.
            try (PeerPigeonServer stranger = HubCluster.testHub("secret-mesh")
                    .bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + port))).build().start()) {
                Await.until("redialed after the refusal", WAIT,
                        () -> MeshView.attempts(stranger) >= 2);
                assertThat(MeshView.reachableHubCount(stranger)).isZero();
                assertThat(MeshView.reachableHubCount(guarded)).isZero();
                TestLogs.awaitLine(WAIT, "refused the link (HTTP 403, hub authentication required)",
                        "ws://127.0.0.1:" + port);
            }
            TestClient b = TestClient.connect(port).announce("n1");
            a.awaitDiscovered(b.peerId());
            Bystanders.relay(a, b);
            Bystanders.relay(b, a);
            a.close();
            b.close();
        }
    }

    @Test
    void theImplicitDefaultBootstrapNeverCarriesTheSecretAnExplicitOneDoes() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            listener.setSoTimeout(15_000);
            int port = listener.getLocalPort();
            CompletableFuture<String> implicitDial = CompletableFuture.supplyAsync(() -> requestHead(listener));
            try (PeerPigeonServer h = hub().defaultBootstrapPort(port).build().start()) {
                String head = implicitDial.get(20, TimeUnit.SECONDS);
                assertThat(head).startsWith("GET /?peerId=" + h.config().hub().id() + " HTTP/1.1");
                assertThat(head).contains("X-PeerPigeon-Hub: " + h.config().hub().id() + " secret-mesh");
                assertThat(head).doesNotContain(SECRET).doesNotContain("hubSecret");
            }
            CompletableFuture<String> explicitDial = CompletableFuture.supplyAsync(() -> requestHead(listener));
            try (PeerPigeonServer h = hub().bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + port))).build().start()) {
                String head = explicitDial.get(20, TimeUnit.SECONDS);
                assertThat(head).startsWith("GET /?peerId=" + h.config().hub().id() + "&hubSecret=" + SECRET + " HTTP/1.1");
            }
        }
    }

    /** Accepts one connection and returns its request head (up to the blank line), then drops it. */
    private static String requestHead(ServerSocket listener) {
        try (Socket s = listener.accept()) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            while (!buf.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                buf.write(c);
            }
            return buf.toString(StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
