package dev.peerpigeon.testkit;

import dev.peerpigeon.PeerPigeonServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link PeerPigeonServer} with its default configuration in a child JVM of its own (e.g. with a
 * small {@code -Xmx}), so a test can attack its memory without risking the test JVM. The child prints
 * its port, and stops when its stdin closes; {@link #close()} stops it (forcibly if it hangs).
 *
 * <p>Threads: {@link #start} and {@link #close} belong to the test thread; a daemon thread drains the
 * child's output into a bounded tail for failure messages.
 */
public final class ForkedServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Deque<String> tail = new ArrayDeque<>();

    /** The child's entry point: a server on 127.0.0.1, port 0, defaults otherwise. */
    public static void main(String[] args) throws IOException {
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start();
        System.out.println("PORT " + server.getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes our stdin
        }
        server.close();
    }

    private ForkedServer(Process process) throws IOException {
        this.process = process;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        int found = -1;
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            remember(line);
            if (line.startsWith("PORT ")) {
                found = Integer.parseInt(line.substring(5).trim());
                break;
            }
        }
        if (found < 0) {
            process.destroyForcibly();
            throw new IOException("forked server did not start: " + output());
        }
        this.port = found;
        Thread drain = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    remember(line);
                }
            } catch (IOException ignored) {
                // the child is gone
            }
        }, "forked-server-output");
        drain.setDaemon(true);
        drain.start();
    }

    /** Starts a child JVM with these JVM options (e.g. {@code -Xmx128m}) and waits for its port. */
    public static ForkedServer start(String... jvmOptions) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ForkedServer.class.getName());
        return new ForkedServer(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    public int port() {
        return port;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private synchronized void remember(String line) {
        tail.addLast(line);
        if (tail.size() > 40) {
            tail.removeFirst();
        }
    }

    /** The last lines the child printed (its log), for failure messages. */
    public synchronized String output() {
        return String.join("\n", tail);
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
