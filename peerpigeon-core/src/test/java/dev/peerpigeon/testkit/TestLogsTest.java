package dev.peerpigeon.testkit;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Log assertions see only their own test: a line logged before the test's mark does not satisfy awaitLine. */
class TestLogsTest {

    @Test
    void awaitLineIgnoresLinesFromBeforeTheTestStarted() {
        String earlier = "line of an earlier test " + UUID.randomUUID();
        LoggerFactory.getLogger(TestLogsTest.class).info(earlier);
        Await.until("the earlier line is in the file", Duration.ofSeconds(5),
                () -> TestLogs.lines().stream().anyMatch(l -> l.contains(earlier)));
        new TestLogs.Scope().beforeEach(null); // what the extension does when the next test starts
        assertThatThrownBy(() -> TestLogs.awaitLine(Duration.ofMillis(300), earlier)).isInstanceOf(AssertionError.class);
        String own = "line of this test " + UUID.randomUUID();
        LoggerFactory.getLogger(TestLogsTest.class).info(own);
        assertThat(TestLogs.awaitLine(Duration.ofSeconds(5), own)).contains(own);
    }
}
