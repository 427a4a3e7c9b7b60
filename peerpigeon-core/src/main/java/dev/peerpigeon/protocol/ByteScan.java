package dev.peerpigeon.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Searches over a message's bytes, 8 at a time (SWAR: one {@code long} per step, no per-byte branch): the
 * transport's checks that a frame is printable ASCII or strict UTF-8, and the scanner's search for the end of a string. Stateless.
 */
public final class ByteScan {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L, HIGHS = 0x8080808080808080L;

    private ByteScan() {
    }

    /**
     * True when every byte in {@code [from, to)} is 0x20-0x7f. Per word: a byte at or above 0x80 has its top bit set
     * in {@code x}; a byte below 0x20 leaves it clear in {@code x + 0x60} (a byte of 0x20-0x7f sets it, with no carry
     * out). A carry from a byte at or above 0x80 can only disturb a word already found bad.
     */
    public static boolean isPrintableAscii(byte[] a, int from, int to) {
        long bad = 0;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long x = (long) LONGS.get(a, i);
            bad |= x | ~(x + 0x6060606060606060L);
        }
        for (; i < to; i++) {
            if (a[i] < 0x20) { // signed: also every byte at or above 0x80
                return false;
            }
        }
        return (bad & HIGHS) == 0;
    }

    /**
     * True when {@code [from, to)} is strict UTF-8 (RFC 3629): shortest forms only, no surrogates, nothing above
     * U+10FFFF, no truncated sequence. ASCII is skipped 8 bytes at a time.
     */
    public static boolean isUtf8(byte[] a, int from, int to) {
        int i = from;
        while (i < to) {
            if (i + 8 <= to && ((long) LONGS.get(a, i) & HIGHS) == 0) {
                i += 8;
                continue;
            }
            int c = a[i] & 0xff;
            if (c < 0x80) {
                i++;
                continue;
            }
            int extra = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
            if (extra < 0 || i + extra >= to) {
                return false; // a byte that starts no sequence, or a sequence cut short
            }
            int second = a[i + 1] & 0xff;
            // The second byte's range excludes overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
            int low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
            int high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
            if (second < low || second > high) {
                return false;
            }
            for (int k = 2; k <= extra; k++) {
                if ((a[i + k] & 0xc0) != 0x80) {
                    return false;
                }
            }
            i += extra + 1;
        }
        return true;
    }

    /**
     * The index of the first quote, backslash or (unless {@code printable}) byte below 0x20 in {@code [from, to)}, or
     * {@code to}. Per word, a byte equal to {@code c} leaves a zero byte in {@code x ^ c*ONES}, and
     * {@code (v - ONES) & ~v & HIGHS} sets the top bit of the lowest zero byte of {@code v} exactly (only bytes above
     * it can be false positives); {@code (x - 0x20*ONES) & ~x} likewise finds the lowest byte below 0x20 ({@code ~x}
     * excludes bytes at or above 0x80). So the lowest bit set across the tests is the first byte to stop at.
     */
    static int stringStop(byte[] b, int from, int to, boolean printable) {
        int k = from;
        for (; k + 8 <= to; k += 8) {
            long x = (long) LONGS.get(b, k);
            long q = x ^ 0x2222222222222222L;
            long s = x ^ 0x5c5c5c5c5c5c5c5cL;
            long hits = ((q - ONES) & ~q) | ((s - ONES) & ~s);
            if (!printable) {
                hits |= (x - 0x2020202020202020L) & ~x;
            }
            hits &= HIGHS;
            if (hits != 0) {
                return k + (Long.numberOfTrailingZeros(hits) >>> 3);
            }
        }
        while (k < to && b[k] != '"' && b[k] != '\\' && (printable || b[k] < 0 || b[k] >= 0x20)) {
            k++;
        }
        return k;
    }
}
