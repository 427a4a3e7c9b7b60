package dev.peerpigeon.testkit;

import dev.peerpigeon.signaling.Connection;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory {@link Connection} for unit tests of the signaling and federation logic: records what is sent and
 * how it was closed. Thread-safe (any thread may send; tests read the fields).
 */
public class MemoryConnection implements Connection {
    public final List<String> sent = new CopyOnWriteArrayList<>();
    public volatile boolean open = true;
    public volatile int closeCode;

    @Override
    public void send(String text) {
        sent.add(text);
    }

    @Override
    public void close(int code, String reason) {
        open = false;
        closeCode = code;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void sendPing() {
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return new InetSocketAddress("127.0.0.1", 1);
    }
}
