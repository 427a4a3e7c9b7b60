package dev.peerpigeon.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark measures the server as the README starts it: with the start script's JVM defaults. */
class StartScriptTest {
    @Test
    void theBenchmarkRunsOurServerWithTheStartScriptsDefaults() throws Exception {
        String script = Files.readString(Path.of("bin", "peerpigeon-server"));
        Matcher m = Pattern.compile("(?m)^lean=\"([^\"]+)\"$").matcher(script);
        assertThat(m.find()).as("the script's lean= line").isTrue();
        assertThat(m.group(1)).isEqualTo(ServerLauncher.LEAN_JVM_ARGS);
        assertThat(script).contains("exec java ${JAVA_OPTS:-$lean} -jar");
    }

    @Test
    void theReadmeQuotesTheStartScriptsFlagsWhereItDescribesThemAndInTheCommandWithoutTheScript() throws Exception {
        // Line breaks, shell continuations ("\" then "#" in a commented command) and code quotes removed.
        String readme = Files.readString(Path.of("..", "README.md"))
                .replaceAll("\\\\\\s*\n#\\s*", " ").replace("`", "").replaceAll("\\s+", " ");
        assertThat(readme).containsSubsequence("(" + ServerLauncher.LEAN_JVM_ARGS + ":",
                "without the script (its flags): java " + ServerLauncher.LEAN_JVM_ARGS + " -jar");
    }
}
