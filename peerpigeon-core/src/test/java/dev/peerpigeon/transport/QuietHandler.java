package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;

/** A transport handler for tests: upgrades every request and ignores what a test does not look at. */
abstract class QuietHandler implements TransportHandler<Connection> {
    @Override
    public HttpResponse onRequest(RequestHead head) {
        return null; // upgrade
    }

    @Override
    public Connection onOpen(Connection connection, RequestHead head) {
        return connection;
    }

    @Override
    public void onMessage(Connection state, TextFrame text) {
    }

    @Override
    public void onUndecodable(Connection state, String reason) {
    }

    @Override
    public void onPong(Connection state) {
    }

    @Override
    public void onClose(Connection state, int code, String reason, boolean remote) {
    }
}
