package dev.peerpigeon;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.testkit.PeerPigeonExtension;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** Plain HTTP on the WebSocket port (PROTOCOL.md section 7). */
class HttpEndpointsTest {
    @RegisterExtension
    final PeerPigeonExtension server = PeerPigeonExtension.server(b -> b.corsOrigin("https://app.example"));

    private JsonObject json(String path) throws Exception {
        String r = RawHttp.get(server.port(), path);
        assertThat(RawHttp.status(r)).isEqualTo(200);
        assertThat(r).contains("Content-Type: application/json").contains("Access-Control-Allow-Origin: https://app.example");
        return JsonParser.parseString(RawHttp.body(r)).getAsJsonObject();
    }

    @Test
    void healthHasTheReferenceFieldsAlsoWithAQueryString() throws Exception {
        TestClient c = TestClient.connect(server.port()).announce("n1");
        c.sync();
        for (String path : new String[]{"/health", "/health?x=1"}) {
            JsonObject h = json(path);
            assertThat(h.get("status").getAsString()).isEqualTo("healthy");
            assertThat(h.get("timestamp").getAsString()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(h.get("uptime").getAsDouble()).isPositive();
            assertThat(h.get("isHub").getAsBoolean()).isFalse();
            assertThat(h.get("connections").getAsInt()).isEqualTo(1);
            assertThat(h.get("peers").getAsInt()).isEqualTo(1);
            assertThat(h.get("hubs").getAsInt()).isZero();
            assertThat(h.get("networks").getAsInt()).isEqualTo(1);
            assertThat(h.getAsJsonObject("memory").keySet()).contains("rss", "heapTotal", "heapUsed", "external", "arrayBuffers");
        }
        c.close();
    }

    @Test
    void hubsStatsAndHubstats() throws Exception {
        TestClient hub = TestClient.connect(server.port());
        hub.send("{\"type\":\"announce\",\"data\":{\"isHub\":true,\"port\":3001,\"host\":\"h\"},\"networkName\":\"pigeonhub-mesh\"}");
        hub.sync();
        JsonObject hubs = json("/hubs");
        assertThat(hubs.get("totalHubs").getAsInt()).isEqualTo(1);
        JsonObject h = hubs.getAsJsonArray("hubs").get(0).getAsJsonObject();
        assertThat(h.get("peerId").getAsString()).isEqualTo(hub.peerId());
        assertThat(h.keySet()).contains("registeredAt", "lastActivity", "networkName", "data", "connectedAt");
        assertThat(h.getAsJsonObject("data").get("port").getAsInt()).isEqualTo(3001);
        JsonObject stats = json("/stats");
        assertThat(stats.keySet()).contains("isRunning", "isHub", "hubPeerId", "hubMeshNamespace", "connections", "peers",
                "hubs", "networks", "bootstrapHubs", "maxConnections", "uptime", "host", "port");
        assertThat(stats.get("port").getAsInt()).isEqualTo(server.port());
        JsonObject hubstats = json("/hubstats");
        assertThat(hubstats.keySet()).contains("totalHubs", "connectedHubs", "hubs", "bootstrapHubs");
        hub.close();
    }

    @Test
    void optionsDefaultTextAndMethods() throws Exception {
        String options = RawHttp.exchange(server.port(), "OPTIONS /anything HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(RawHttp.status(options)).isEqualTo(200);
        assertThat(options).contains("Access-Control-Allow-Methods: GET, POST, OPTIONS")
                .contains("Access-Control-Allow-Headers: Content-Type, Authorization")
                .contains("Access-Control-Allow-Origin: https://app.example");
        assertThat(RawHttp.body(options)).isEmpty();
        String other = RawHttp.get(server.port(), "/somewhere");
        assertThat(RawHttp.status(other)).isEqualTo(200);
        assertThat(RawHttp.body(other)).isEqualTo("PeerPigeon WebSocket Signaling Server");
        String post = RawHttp.exchange(server.port(), "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        assertThat(RawHttp.status(post)).isEqualTo(405);
        String head = RawHttp.exchange(server.port(), "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(RawHttp.status(head)).isEqualTo(200);
    }
}
