package dev.peerpigeon;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JPMS boundary: target/classes is a module that exports exactly {@code dev.peerpigeon} and
 * {@code dev.peerpigeon.micrometer} (the optional Micrometer binder, API since issue 12), and no public
 * signature of that package leaks a type from one of our unexported packages (tests run on the classpath, so
 * this is what keeps the boundary honest).
 */
class ModuleBoundaryTest {
    static final String API = "dev.peerpigeon";
    /** The second API package: an application constructs its MeterBinder (micrometer-core is optional). */
    static final String MICROMETER = "dev.peerpigeon.micrometer";

    /** The module as built: the directory the main classes (and module-info.class) are compiled to. */
    private static ModuleDescriptor descriptor() throws Exception {
        Path classes = Path.of(PeerPigeonServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(classes).find(API).orElseThrow(() -> new AssertionError("no module " + API + " in " + classes))
                .descriptor();
    }

    @Test
    void theModuleExportsOnlyTheApiPackageAndOpensNothing() throws Exception {
        ModuleDescriptor d = descriptor();
        assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
        assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source)).containsExactlyInAnyOrder(API, MICROMETER);
        assertThat(d.opens()).isEmpty();
        assertThat(d.isOpen()).isFalse();
        assertThat(d.packages()).contains("dev.peerpigeon.transport", "dev.peerpigeon.federation",
                "dev.peerpigeon.signaling");
    }

    /** Lettuce (cluster mode) is optional, and its types stay in the one class that talks to Redis. */
    @Test
    void theRedisClientIsAnOptionalRequirementUsedOnlyByTheClusterPackage() throws Exception {
        ModuleDescriptor d = descriptor();
        assertThat(d.requires()).anySatisfy(r -> {
            assertThat(r.name()).isEqualTo("lettuce.core");
            assertThat(r.modifiers()).contains(ModuleDescriptor.Requires.Modifier.STATIC);
        });
        Path sources = Path.of("src/main/java");
        List<String> users;
        try (var files = java.nio.file.Files.walk(sources)) {
            users = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return java.nio.file.Files.readString(f).contains("import io.lettuce");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(f -> sources.relativize(f).toString().replace('\\', '/')).sorted().toList();
        }
        assertThat(users).allSatisfy(f -> assertThat(f).startsWith("dev/peerpigeon/cluster/").isNotEqualTo(
                "dev/peerpigeon/cluster/RedisCluster.java"));
        assertThat(users).contains("dev/peerpigeon/cluster/RedisStore.java");
    }

    @Test
    void noPublicApiSignatureExposesAnInternalType() throws Exception {
        ModuleDescriptor d = descriptor();
        Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        Set<String> internal = d.packages().stream().filter(p -> !exported.contains(p)).collect(Collectors.toSet());
        List<String> leaks = new ArrayList<>();
        List<String> names = new ArrayList<>(classNames(API));
        names.addAll(classNames(MICROMETER));
        assertThat(names).contains(MICROMETER + ".PeerPigeonMeterBinder");
        for (String name : names) {
            Class<?> c = Class.forName(name);
            if (!isVisible(c)) {
                continue;
            }
            check(leaks, internal, c.getName() + " extends", c.getGenericSuperclass());
            for (Type t : c.getGenericInterfaces()) {
                check(leaks, internal, c.getName() + " implements", t);
            }
            for (Field f : c.getDeclaredFields()) {
                if (isVisible(f.getModifiers())) {
                    check(leaks, internal, c.getName() + "." + f.getName(), f.getGenericType());
                }
            }
            if (c.isRecord()) {
                for (RecordComponent rc : c.getRecordComponents()) {
                    check(leaks, internal, c.getName() + "." + rc.getName() + "()", rc.getGenericType());
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (!isVisible(m.getModifiers()) || m.isSynthetic()) {
                    continue;
                }
                check(leaks, internal, c.getName() + "." + m.getName() + "() returns", m.getGenericReturnType());
                checkExecutable(leaks, internal, c.getName() + "." + m.getName(), m);
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (isVisible(k.getModifiers())) {
                    checkExecutable(leaks, internal, c.getName() + ".<init>", k);
                }
            }
        }
        assertThat(leaks).as("public API signatures that name internal types").isEmpty();
    }

    private static void checkExecutable(List<String> leaks, Set<String> internal, String where, Executable e) {
        for (Type p : e.getGenericParameterTypes()) {
            check(leaks, internal, where + "(param)", p);
        }
        for (Type x : e.getGenericExceptionTypes()) {
            check(leaks, internal, where + " throws", x);
        }
    }

    private static void check(List<String> leaks, Set<String> internal, String where, Type t) {
        if (t == null) {
            return;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (internal.contains(c.getPackageName())) {
                leaks.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(leaks, internal, where, p.getRawType());
            for (Type a : p.getActualTypeArguments()) {
                check(leaks, internal, where, a);
            }
        } else if (t instanceof GenericArrayType g) {
            check(leaks, internal, where, g.getGenericComponentType());
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(leaks, internal, where, b);
            }
            for (Type b : w.getLowerBounds()) {
                check(leaks, internal, where, b);
            }
        }
    }

    /** Public or protected, and (for nested types) every enclosing type too. */
    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!isVisible(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean isVisible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** Every class of the package (top level and nested) in the module's class directory. */
    private static List<String> classNames(String pkg) throws Exception {
        Path classes = Path.of(PeerPigeonServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = classes.resolve(pkg.replace('.', '/'));
        try (var files = java.nio.file.Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".class"))
                    .map(f -> pkg + "." + f.substring(0, f.length() - ".class".length())).sorted().toList();
        }
    }
}
