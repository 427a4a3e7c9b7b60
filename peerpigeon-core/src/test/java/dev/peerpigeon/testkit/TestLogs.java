package dev.peerpigeon.testkit;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Reads the library's log lines, which the surefire configuration sends to target/test-logs.txt. The file holds
 * the logs of every test of the fork, so {@link #awaitLine} only sees what was written since the current test
 * started: {@link Scope} (registered for every test by JUnit's extension autodetection, see
 * src/test/resources/META-INF/services) takes that mark before each test.
 */
public final class TestLogs {
    private static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";
    /** Where the current test's log starts; written before each test by {@link Scope}, read by the test thread. */
    private static volatile long testMark;

    private TestLogs() {
    }

    /** Takes the log mark before each test so log assertions are scoped to it. */
    public static final class Scope implements BeforeEachCallback {
        @Override
        public void beforeEach(ExtensionContext context) {
            // Suites without a log file (failsafe ITs, consumers of the test-jar) have nothing to scope.
            if (System.getProperty(LOG_FILE) != null) {
                // SimpleLogger truncates the file when it starts (at the first logger): start it before the mark,
                // or the first test of a fork would look for its lines past the end of a previous run's file.
                org.slf4j.LoggerFactory.getLogger(TestLogs.class);
                testMark = mark();
            }
        }
    }

    public static Path file() {
        String f = System.getProperty(LOG_FILE);
        if (f == null) {
            throw new AssertionError("tests run without org.slf4j.simpleLogger.logFile; run them through Maven");
        }
        return Path.of(f);
    }

    public static List<String> lines() {
        try {
            return Files.exists(file()) ? Files.readAllLines(file(), StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The current end of the log: pass it to {@link #linesSince} to see only what was written after this point
     * (the file holds the logs of every test of the fork).
     */
    public static long mark() {
        try {
            return Files.exists(file()) ? Files.size(file()) : 0;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Lines written after {@code mark} (from {@link #mark()}). */
    public static List<String> linesSince(long mark) {
        try {
            if (!Files.exists(file())) {
                return List.of();
            }
            byte[] all = Files.readAllBytes(file());
            int from = (int) Math.min(all.length, Math.max(0, mark));
            String text = new String(all, from, all.length - from, StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\r?\n"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until a log line written during the current test contains every fragment, and returns it. */
    public static String awaitLine(Duration timeout, String... fragments) {
        String[] found = new String[1];
        long since = testMark;
        Await.until("a log line containing " + String.join(" + ", fragments), timeout, () -> {
            for (String line : linesSince(since)) {
                boolean all = true;
                for (String f : fragments) {
                    all &= line.contains(f);
                }
                if (all) {
                    found[0] = line;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }
}
