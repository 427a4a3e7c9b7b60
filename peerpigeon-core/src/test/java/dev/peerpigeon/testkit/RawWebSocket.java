package dev.peerpigeon.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a raw socket that completes the handshake and then does only what the test
 * says: it can send arbitrary (even broken) frames and never answers pings, like a half-open peer.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String handshakeResponse;

    public RawWebSocket(int port, String target) throws IOException {
        this(port, target, "127.0.0.1");
    }

    public RawWebSocket(int port, String target, String hostHeader) throws IOException {
        this(port, target, hostHeader, new String[0]);
    }

    /** An upgrade with extra header lines (e.g. {@code X-Forwarded-For: 203.0.113.7}); see {@link #handshakeResponse}. */
    public RawWebSocket(int port, String target, String hostHeader, String... extraHeaders) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(4096); // small, so a test can make it stop reading quickly
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        out.write(RawHttp.upgradeRequest(target, hostHeader, extraHeaders).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        handshakeResponse = head.toString();
    }

    /** Sets the socket's receive buffer (effective for what arrives from now on). */
    public void setReceiveBuffer(int bytes) throws IOException {
        socket.setReceiveBufferSize(bytes);
    }

    /**
     * Reads and discards everything the server sends, on a daemon thread, until the connection ends: a client
     * that keeps its receive window open without looking at what it gets. (A socket that never reads, with this
     * class's small receive buffer, ends up in the kernel's retransmission backoff on loopback: its own sends
     * then stall for tens of seconds whatever the server does.)
     */
    public RawWebSocket drainInBackground() {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            while (!socket.isClosed()) {
                try {
                    if (in.read(buf) < 0) {
                        return;
                    }
                } catch (java.net.SocketTimeoutException idle) {
                    // nothing arrived for a while: keep reading
                } catch (IOException ended) {
                    return;
                }
            }
        }, "raw-websocket-drain");
        t.setDaemon(true);
        t.start();
        return this;
    }

    public String handshakeResponse() {
        return handshakeResponse;
    }

    /** Sends one masked frame with the given opcode and FIN flag. */
    public void sendFrame(int opcode, boolean fin, byte[] payload) throws IOException {
        sendRaw(encodeFrame(opcode, fin, payload, true));
    }

    /** The bytes of one frame, masked as a client must (or unmasked, to break that rule). */
    public static byte[] encodeFrame(int opcode, boolean fin, byte[] payload, boolean masked) {
        java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        int maskBit = masked ? 0x80 : 0;
        int len = payload.length;
        if (len < 126) {
            f.write(maskBit | len);
        } else if (len < 65536) {
            f.write(maskBit | 126);
            f.write(len >> 8);
            f.write(len & 0xff);
        } else {
            f.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) len >> (8 * i)) & 0xff);
            }
        }
        byte[] mask = {1, 2, 3, 4};
        if (masked) {
            f.write(mask, 0, 4);
        }
        for (int i = 0; i < len; i++) {
            f.write(masked ? payload[i] ^ mask[i % 4] : payload[i]);
        }
        return f.toByteArray();
    }

    /** Writes bytes as they are (a frame, part of one, or several). */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Writes bytes in pieces of {@code chunk}, each flushed on its own segment (TCP_NODELAY), like a slow link. */
    public void trickle(byte[] bytes, int chunk) throws IOException {
        socket.setTcpNoDelay(true);
        for (int i = 0; i < bytes.length; i += chunk) {
            out.write(bytes, i, Math.min(chunk, bytes.length - i));
            out.flush();
        }
    }

    /** A frame from the server: its opcode and payload. */
    public record Frame(int opcode, byte[] payload) {
        /** The status code of a close frame (1005 when it has none). */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }

    /** Reads the next (unmasked) server frame; null when the server closed the TCP connection first. */
    /** Bytes readable now without blocking (on loopback a frame is readable as soon as the server's write returns). */
    public int available() throws IOException {
        return in.available();
    }

    public Frame readFrame() throws IOException {
        java.io.DataInputStream d = new java.io.DataInputStream(in);
        try {
            int b1 = d.readUnsignedByte();
            int b2 = d.readUnsignedByte();
            // Every header is validated: bytes of two frames interleaved on the wire show up here.
            int opcode = b1 & 0x0f;
            if ((b1 & 0x70) != 0 || (b2 & 0x80) != 0 || (opcode > 2 && opcode < 8) || opcode > 10
                    || (opcode >= 8 && ((b1 & 0x80) == 0 || (b2 & 0x7f) > 125))) {
                throw new IOException(String.format("invalid frame header from the server: %02x %02x", b1, b2));
            }
            long len = b2 & 0x7f;
            if (len == 126) {
                len = d.readUnsignedShort();
            } else if (len == 127) {
                len = d.readLong();
            }
            byte[] payload = new byte[(int) len];
            d.readFully(payload);
            return new Frame(b1 & 0x0f, payload);
        } catch (java.io.EOFException | java.net.SocketException e) {
            return null;
        }
    }

    /**
     * Reads frames until the server's close frame and returns its code (-1 when the TCP connection ended
     * without one, 0 when nothing ended it within the timeout). Frames before it are passed to {@code seen}.
     */
    public int awaitCloseCode(int timeoutMillis, java.util.function.Consumer<Frame> seen) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            for (Frame f = readFrame(); f != null; f = readFrame()) {
                if (f.opcode() == 8) {
                    return f.closeCode();
                }
                seen.accept(f);
            }
            return -1;
        } catch (java.net.SocketTimeoutException e) {
            return 0;
        }
    }

    public void sendText(String text) throws IOException {
        sendFrame(1, true, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads until the server closes the TCP connection; returns true if it did within the socket timeout. */
    public boolean awaitServerClose(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // discard frames (pings included: never answered)
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset by the server
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
