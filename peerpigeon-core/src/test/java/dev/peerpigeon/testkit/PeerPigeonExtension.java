package dev.peerpigeon.testkit;

import dev.peerpigeon.PeerPigeonServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A server on 127.0.0.1, port 0, for a JUnit 5 test (MockWebServer style), always stopped:
 * <pre>
 * &#64;RegisterExtension static PeerPigeonExtension server = PeerPigeonExtension.server(b -&gt; b.maxConnections(10));
 * </pre>
 * As a static field it runs for the whole class (started before all, stopped after all); as an instance field
 * one server per test. {@link #client(String)} connects announced clients that are closed with the server.
 * Used by the JUnit thread that runs the test.
 */
public final class PeerPigeonExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    private final UnaryOperator<PeerPigeonServer.Builder> customizer;
    private final List<TestClient> clients = new ArrayList<>();
    private PeerPigeonServer server;
    private boolean perClass;

    private PeerPigeonExtension(UnaryOperator<PeerPigeonServer.Builder> customizer) {
        this.customizer = customizer;
    }

    /** A plain signaling server with the given builder settings on top of the test defaults. */
    public static PeerPigeonExtension server(UnaryOperator<PeerPigeonServer.Builder> customizer) {
        return new PeerPigeonExtension(customizer);
    }

    public static PeerPigeonExtension server() {
        return server(b -> b);
    }

    /** A hub in {@code namespace} ({@link HubCluster#testHub}) with the given settings on top. */
    public static PeerPigeonExtension hub(String namespace, UnaryOperator<PeerPigeonServer.Builder> customizer) {
        return new PeerPigeonExtension(b -> customizer.apply(HubCluster.testHub(namespace)));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stop();
        }
    }

    private void start() {
        server = customizer.apply(PeerPigeonServer.builder().port(0).host("127.0.0.1")).build().start();
    }

    private void stop() {
        for (TestClient c : clients) {
            c.close();
        }
        clients.clear();
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    public PeerPigeonServer get() {
        if (server == null) {
            throw new IllegalStateException("the server runs only while a test does");
        }
        return server;
    }

    public int port() {
        return get().getPort();
    }

    public URI uri() {
        return URI.create("ws://127.0.0.1:" + port());
    }

    /** A connected client (not announced yet); closed when the server stops. */
    public TestClient connect() {
        TestClient c = TestClient.connect(port());
        clients.add(c);
        return c;
    }

    /** A connected client with a chosen peer id; closed when the server stops. */
    public TestClient connect(String peerId) {
        TestClient c = TestClient.connect(port(), peerId);
        clients.add(c);
        return c;
    }

    /** A client that announced in {@code network}; closed when the server stops. */
    public TestClient client(String network) {
        TestClient c = TestClient.connect(port());
        clients.add(c);
        return c.announce(network);
    }
}
