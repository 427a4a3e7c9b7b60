package dev.peerpigeon.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own running a main class from the test classpath, for what must not happen in the test JVM:
 * a low file-descriptor limit ({@code ulimit -n}), a small heap, a process that must exit. Its stdout and stderr
 * (where slf4j-simple logs) are collected line by line. Closing it closes its stdin, then kills it.
 */
public final class ForkedJvm implements AutoCloseable {
    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();

    private ForkedJvm(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "forked-jvm-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with this test's classpath.
     *
     * @param fdLimit  when > 0, the child runs under {@code ulimit -n fdLimit}
     * @param jvmArgs  e.g. {@code -Xmx64m}
     */
    public static ForkedJvm start(String mainClass, Map<String, String> env, int fdLimit, List<String> jvmArgs,
                                  String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> javaCmd = new ArrayList<>();
        javaCmd.add(java);
        javaCmd.addAll(jvmArgs);
        javaCmd.add("-cp");
        javaCmd.add(cp);
        javaCmd.add(mainClass);
        javaCmd.addAll(List.of(args));
        List<String> cmd = new ArrayList<>();
        if (fdLimit > 0) {
            // exec keeps the JVM as the process we wait for; "$@" avoids any quoting of the classpath
            cmd.addAll(List.of("bash", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "forked-jvm"));
        }
        cmd.addAll(javaCmd);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ForkedJvm(pb.start());
    }

    public List<String> output() {
        return new ArrayList<>(output);
    }

    /** The process id (for diagnostics such as jstack). */
    public long pid() {
        return process.pid();
    }

    /** SIGKILL: the child dies at once, without running any shutdown code. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for a line containing {@code fragment} and returns it. */
    public String awaitLine(Duration timeout, String fragment) {
        String[] found = new String[1];
        Await.until("forked JVM output containing '" + fragment + "'", timeout, () -> {
            for (String line : output) {
                if (line.contains(fragment)) {
                    found[0] = line;
                    return true;
                }
            }
            return false;
        }, () -> "Output so far:\n" + String.join("\n", tail(40)));
        return found[0];
    }

    /** Waits for the process to exit and returns its status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("forked JVM still running after " + timeout.toMillis() + " ms. Output:\n"
                    + String.join("\n", tail(40)));
        }
        return process.exitValue();
    }

    public List<String> tail(int n) {
        List<String> all = output();
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    @Override
    public void close() {
        try {
            OutputStream in = process.getOutputStream();
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
