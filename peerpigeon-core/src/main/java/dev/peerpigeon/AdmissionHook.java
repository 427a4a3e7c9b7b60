package dev.peerpigeon;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Decides, before the WebSocket upgrade, whether a connection may open. Runs on a transport thread
 * after the built-in checks (peer id, duplicate, capacity, per-IP limits); keep it fast and never block.
 * A refusal is answered with its HTTP status and reason (the real client then backs off). Token auth:
 *
 * <pre>{@code
 * .admission(req -> "Bearer s3cret".equals(req.header("Authorization"))
 *         || "s3cret".equals(req.queryParam("token"))
 *         ? AdmissionHook.Decision.accept()
 *         : AdmissionHook.Decision.refuse(401, "Unauthorized"))
 * }</pre>
 *
 * An exception thrown by the hook refuses the connection with 500 and is logged.
 */
@FunctionalInterface
public interface AdmissionHook {

    Decision check(Request request);

    /**
     * What the hook sees of an upgrade request.
     *
     * @param peerId  the validated {@code peerId} query parameter
     * @param headers request headers (names case-insensitive)
     */
    record Request(String path, String query, Map<String, String> headers, InetSocketAddress remoteAddress,
                   String peerId) {

        public String header(String name) {
            return headers.get(name);
        }

        /** The first value of a query parameter (URL-decoded), or null. */
        public String queryParam(String name) {
            return PeerPigeonServer.queryParam(query, name);
        }
    }

    /** Accept, or refuse with an HTTP status (400-599) and a reason sent as {@code {"error": reason}}. */
    record Decision(boolean accepted, int status, String reason) {
        private static final Decision ACCEPT = new Decision(true, 101, "Switching Protocols");

        public Decision {
            if (!accepted && (status < 400 || status > 599)) {
                throw new IllegalArgumentException("refusal status must be 400-599, got " + status);
            }
            reason = reason == null ? "" : reason.replaceAll("[\\r\\n]", " ");
        }

        public static Decision accept() {
            return ACCEPT;
        }

        public static Decision refuse(int status, String reason) {
            return new Decision(false, status, reason);
        }
    }
}
