package dev.peerpigeon.testkit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A node child process whose JSON output lines are collected for assertions. Always destroyed on close. */
public final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<JsonObject> events = new CopyOnWriteArrayList<>();

    NodeProcess(List<String> command) {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + command, e);
        }
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("{")) {
                        try {
                            events.add(JsonParser.parseString(line).getAsJsonObject());
                        } catch (RuntimeException ignored) {
                            // a log line that merely starts with a brace
                        }
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "node-output");
        reader.setDaemon(true);
        reader.start();
    }

    public JsonObject awaitEvent(String what, Predicate<JsonObject> p, Duration timeout) {
        JsonObject[] found = new JsonObject[1];
        Await.until(what, timeout, () -> {
            for (JsonObject e : events) {
                if (p.test(e)) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        }, this::output);
        return found[0];
    }

    public JsonObject awaitEvent(String event, Duration timeout) {
        return awaitEvent("node event " + event, e -> e.has("event") && event.equals(e.get("event").getAsString()), timeout);
    }

    public List<JsonObject> events() {
        return new ArrayList<>(events);
    }

    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("node did not exit within " + timeout + ". " + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
        return process.exitValue();
    }

    public String output() {
        List<String> tail = new ArrayList<>(lines);
        int from = Math.max(0, tail.size() - 60);
        return "node output (last lines):\n" + String.join("\n", tail.subList(from, tail.size()));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
