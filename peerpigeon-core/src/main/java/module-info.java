/**
 * PeerPigeon signaling server and hub. Only {@code dev.peerpigeon} (the facade, its config, events, stats and
 * hooks) is API; every other package is internal and may change without notice.
 *
 * <p>No package is opened: Gson is used only through its tree model (JsonParser/JsonObject), never to
 * reflect over our classes.
 */
module dev.peerpigeon {
    requires org.java_websocket;
    requires com.google.gson;
    requires org.slf4j;
    // DirectBuffer and file-descriptor gauges in the stats (java.lang.management, com.sun.management).
    requires java.management;
    requires jdk.management;

    exports dev.peerpigeon;
}
