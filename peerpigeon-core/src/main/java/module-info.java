/**
 * PeerPigeon signaling server and hub. Only {@code dev.peerpigeon} (the facade, its config, events, stats and
 * hooks) and {@code dev.peerpigeon.micrometer} (the optional Micrometer binder) are API; every other package is internal and may change without notice.
 *
 * <p>No package is opened: Gson is used only through its tree model (JsonParser/JsonObject), never to
 * reflect over our classes.
 */
module dev.peerpigeon {
    // Only dev.peerpigeon.transport uses its types (no other package imports them, and none is exported); one
    // module for the whole library means the requirement is declared here.
    requires org.java_websocket;
    requires com.google.gson;
    requires org.slf4j;
    // DirectBuffer and file-descriptor gauges in the stats (java.lang.management, com.sun.management).
    requires java.management;
    requires jdk.management;
    // Optional: only dev.peerpigeon.micrometer needs it, and only when the application binds it.
    requires static micrometer.core; // its Automatic-Module-Name (not io.micrometer.core)
    // Optional: only dev.peerpigeon.cluster (cluster mode, REDIS_URL) needs it; its types stay in that package.
    requires static lettuce.core;
    requires static io.netty.transport; // Lettuce's: a flush-consolidating handler on its connections
    requires static io.netty.handler;

    exports dev.peerpigeon;
    // API too: the MeterBinder an application hands its Micrometer registry.
    exports dev.peerpigeon.micrometer;
}
