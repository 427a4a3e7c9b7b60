package dev.peerpigeon.http;

import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The plain-HTTP side of the server port (PROTOCOL.md section 7): {@code /health}, {@code /hubs},
 * {@code /stats}, {@code /hubstats}, CORS preflight and the default text. Pure functions of the
 * request and the {@link StatusDocuments.Snapshots} taken for it (see {@link StatusDocuments}). Stateless.
 *
 * <p>Differences from the reference: the endpoints match the path, so a query string works; only
 * GET and HEAD are answered with data (other methods get 405 with an Allow header).
 */
public final class HttpEndpoints {
    public static final String DEFAULT_TEXT = "PeerPigeon WebSocket Signaling Server";

    private final String corsOrigin;
    private final StatusDocuments.Snapshots source;

    private final boolean statusPage;

    public HttpEndpoints(String corsOrigin, StatusDocuments.Snapshots source) {
        this(corsOrigin, source, true);
    }

    /** @param statusPage whether {@code /status} and {@code /status.json} are served (else 404) */
    public HttpEndpoints(String corsOrigin, StatusDocuments.Snapshots source, boolean statusPage) {
        this.corsOrigin = corsOrigin;
        this.source = source;
        this.statusPage = statusPage;
    }

    /** The {@code /status} page: one file in the jar, plain JS and SVG, no external resource. Read once. */
    private static final byte[] STATUS_HTML = readStatusPage();

    private static byte[] readStatusPage() {
        try (java.io.InputStream in = HttpEndpoints.class.getResourceAsStream("status.html")) {
            return in == null ? "status page missing".getBytes(java.nio.charset.StandardCharsets.UTF_8) : in.readAllBytes();
        } catch (java.io.IOException e) {
            return "status page unreadable".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private HttpResponse statusPage(String path) {
        if (!statusPage) {
            return text(404, "Not Found", "Not Found");
        }
        if (path.equals("/status")) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Cache-Control", "no-store");
            headers.put("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                    + "style-src 'unsafe-inline'; connect-src 'self'");
            return new HttpResponse(200, "OK", withType(headers, "text/html; charset=utf-8"), STATUS_HTML);
        }
        return json(StatusDocuments.status(source.server(), source.networkCounts(), source.meshStatus(),
                source.startedAtMillis(), source.namespaceRefusals(), System.currentTimeMillis()).toString());
    }

    private static Map<String, String> withType(Map<String, String> headers, String type) {
        headers.put("Content-Type", type);
        return headers;
    }

    /** Answers a non-upgrade request. */
    public HttpResponse handle(RequestHead head) {
        if (head.malformed()) {
            return text(400, "Bad Request", "Bad Request");
        }
        String method = head.method().toUpperCase(Locale.ROOT);
        if (method.equals("OPTIONS")) {
            Map<String, String> headers = cors();
            headers.put("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            headers.put("Access-Control-Allow-Headers", "Content-Type, Authorization");
            return new HttpResponse(200, "OK", headers, new byte[0]);
        }
        String path = head.path();
        boolean known = path.equals("/health") || path.equals("/hubs") || path.equals("/stats") || path.equals("/hubstats")
                || path.equals("/metrics") || path.equals("/status") || path.equals("/status.json");
        if (known && !method.equals("GET") && !method.equals("HEAD")) {
            Map<String, String> headers = cors();
            headers.put("Allow", "GET, HEAD, OPTIONS");
            return HttpResponse.of(405, "Method Not Allowed", "text/plain", "Method Not Allowed", headers);
        }
        HttpResponse response = switch (path) {
            case "/health" -> json(StatusDocuments.health(source.server(), source.memory(),
                    source.processUptimeSeconds(), System.currentTimeMillis(), source.cluster()).toString());
            case "/hubs" -> json(StatusDocuments.hubs(source.hubs(), System.currentTimeMillis()).toString());
            case "/stats" -> json(StatusDocuments.stats(source.server()).toString());
            case "/hubstats" -> json(StatusDocuments.hubStats(source.hubs(), source.refusedLinkFrames(),
                    System.currentTimeMillis()).toString());
            case "/metrics" -> metrics(head);
            case "/status", "/status.json" -> statusPage(path);
            default -> text(200, "OK", DEFAULT_TEXT);
        };
        if (method.equals("HEAD")) {
            Map<String, String> headers = new LinkedHashMap<>(response.headers());
            return new HttpResponse(response.status(), response.reason(), headers, new byte[0]);
        }
        return response;
    }

    /** A refusal before the WebSocket upgrade, with a JSON body explaining it. */
    public HttpResponse refusal(int status, String reason, String message) {
        com.google.gson.JsonObject body = new com.google.gson.JsonObject();
        body.addProperty("error", message);
        return HttpResponse.of(status, reason, "application/json", body.toString(), cors());
    }

    /** A WebSocket upgrade this server cannot complete (wrong version, missing key or method). */
    public HttpResponse upgradeRequired() {
        Map<String, String> headers = cors();
        headers.put("Sec-WebSocket-Version", "13");
        return HttpResponse.of(426, "Upgrade Required", "text/plain",
                "WebSocket upgrade needs GET, Sec-WebSocket-Key and Sec-WebSocket-Version: 13", headers);
    }

    /** Prometheus text 0.0.4, or OpenMetrics when the Accept header asks for it; 404 when switched off. */
    private HttpResponse metrics(RequestHead head) {
        java.util.List<MetricsText.Family> families = source.metrics();
        if (families == null) {
            return text(404, "Not Found", "Not Found");
        }
        boolean open = MetricsText.wantsOpenMetrics(head.header("Accept"));
        return HttpResponse.of(200, "OK", open ? MetricsText.OPENMETRICS_TYPE : MetricsText.PROMETHEUS_TYPE,
                MetricsText.render(families, open), cors());
    }

    private HttpResponse json(String body) {
        return HttpResponse.of(200, "OK", "application/json", body, cors());
    }

    private HttpResponse text(int status, String reason, String body) {
        return HttpResponse.of(status, reason, "text/plain", body, cors());
    }

    private Map<String, String> cors() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Access-Control-Allow-Origin", corsOrigin);
        return headers;
    }
}
