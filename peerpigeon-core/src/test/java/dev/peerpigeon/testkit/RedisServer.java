package dev.peerpigeon.testkit;

import org.junit.jupiter.api.Assumptions;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code /usr/bin/redis-server} as a child process on a free loopback port, without persistence
 * ({@code --save '' --appendonly no}), so a restart is a Redis restarted empty. {@link #assumeAvailable()} skips a
 * test when it is not installed, unless {@code PEERPIGEON_REQUIRE_REDIS=true} (CI sets it): then it fails. A tiny
 * RESP client ({@link #command}) reads {@code INFO commandstats} and the keys. Used by the test thread; always
 * stopped by {@link #close()}.
 */
public final class RedisServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/redis-server");
    private static final Duration START_WAIT = Duration.ofSeconds(15);

    private final int port;
    private Process process;

    private RedisServer(int port) {
        this.port = port;
    }

    /** Skips the calling test when redis-server is absent; fails instead with PEERPIGEON_REQUIRE_REDIS=true. */
    public static void assumeAvailable() {
        if (Files.isExecutable(BINARY)) {
            return;
        }
        String hint = BINARY + " is not installed (apt-get install redis-server)";
        if ("true".equalsIgnoreCase(System.getenv("PEERPIGEON_REQUIRE_REDIS"))) {
            throw new AssertionError(hint + " and PEERPIGEON_REQUIRE_REDIS=true");
        }
        Assumptions.abort(hint + "; skipping the cluster test");
    }

    /** Starts a Redis on a free port and waits until it answers PING. */
    public static RedisServer start() {
        assumeAvailable();
        RedisServer r = new RedisServer(Ports.free());
        r.startProcess();
        return r;
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server (SIGKILL: nothing saved, no goodbye to clients). */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts it again on the same port, empty. */
    public void restart() {
        kill();
        startProcess();
    }

    private void startProcess() {
        try {
            process = new ProcessBuilder(BINARY.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--protected-mode", "no")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("could not start " + BINARY, e);
        }
        Await.until("redis-server on port " + port + " answering PING", START_WAIT, () -> {
            try {
                return command("PING").equals("PONG");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Calls per command since start ({@code INFO commandstats}): "publish" -> n, ... */
    public Map<String, Long> commandCalls() throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String line : command("INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring(8, line.indexOf(':'));
                int calls = line.indexOf("calls=");
                out.put(name, Long.parseLong(line.substring(calls + 6, line.indexOf(',', calls))));
            }
        }
        return out;
    }

    /** Sends one command and returns its reply as text (arrays: elements joined by newlines). */
    public String command(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                req.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
            }
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply(new BufferedInputStream(s.getInputStream()));
        }
    }

    private static String reply(InputStream in) throws IOException {
        String line = line(in);
        char kind = line.charAt(0);
        String rest = line.substring(1);
        switch (kind) {
            case '+', ':' -> {
                return rest;
            }
            case '-' -> throw new IOException("redis error: " + rest);
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return "";
                }
                byte[] b = in.readNBytes(n + 2);
                return new String(b, 0, n, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    sb.append(i == 0 ? "" : "\n").append(reply(in));
                }
                return sb.toString();
            }
            default -> throw new IOException("unexpected reply " + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        kill();
    }
}
