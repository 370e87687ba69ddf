package dev.uniforget.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Float16Test {
    private static float h(int bits) {
        return Float16.halfToFloat((short) bits);
    }

    private static int toH(float f) {
        return Float16.floatToHalf(f) & 0xFFFF;
    }

    @Test
    void decodesKnownHalfValues() {
        assertEquals(1.0f, h(0x3C00));
        assertEquals(-2.5f, h(0xC100));
        assertEquals(65504f, h(0x7BFF));
        assertEquals(0x1p-14f, h(0x0400)); // smallest normal
        assertEquals(0x1p-24f, h(0x0001)); // smallest subnormal
        assertEquals(1023 * 0x1p-24f, h(0x03FF)); // largest subnormal
        assertEquals(-0x1p-24f, h(0x8001));
        assertEquals(Float.POSITIVE_INFINITY, h(0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, h(0xFC00));
        assertTrue(Float.isNaN(h(0x7E00)));
        assertTrue(Float.isNaN(h(0x7C01)));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(h(0x8000)));
        assertEquals(0.0f, h(0x0000));
    }

    @Test
    void encodesKnownHalfValuesWithRoundToNearestEven() {
        assertEquals(0x3C00, toH(1.0f));
        assertEquals(0xC100, toH(-2.5f));
        assertEquals(0x7BFF, toH(65504f));
        assertEquals(0x7BFF, toH(65519f)); // just below the midpoint to 65536
        assertEquals(0x7C00, toH(65520f)); // midpoint ties to even = infinity
        assertEquals(0x7C00, toH(1e10f));
        assertEquals(0xFC00, toH(-1e10f));
        assertEquals(0x0001, toH(0x1p-24f));
        assertEquals(0x0000, toH(0x1p-25f)); // tie to even (zero)
        assertEquals(0x0001, toH(0x1.8p-25f));
        assertEquals(0x0002, toH(0x1.8p-24f)); // 1.5 ulp of subnormal: tie to even (2)
        assertEquals(0x0000, toH(1e-30f));
        assertEquals(0x8000, toH(-1e-30f));
        assertEquals(0x0400, toH(0x1.ffcp-15f)); // largest subnormal + half ulp rounds up to smallest normal
        assertEquals(0x3C00, toH(1f + 0x1p-11f)); // tie, even stays
        assertEquals(0x3C02, toH(1f + 3 * 0x1p-11f)); // tie, odd rounds up
        assertEquals(0x7C00, toH(Float.POSITIVE_INFINITY));
        assertEquals(0xFC00, toH(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(h(toH(Float.NaN))));
        assertEquals(0x8000, toH(-0.0f));
    }

    @Test
    void everyHalfRoundTrips() {
        for (int b = 0; b < 1 << 16; b++) {
            final int bits = b;
            float f = h(bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(h(toH(f))));
            } else {
                assertEquals(bits, toH(f), () -> "half bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void encodingPicksTheNearestHalf() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float f = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(-28, 17)));
            int r = toH(f);
            double err = Math.abs((double) h(r) - f);
            if (Float.isInfinite(h(r))) {
                assertTrue(Math.abs(f) >= 65520f, "overflow only at or beyond 65520: " + f);
                continue;
            }
            for (int n : new int[] {r - 1, r + 1}) {
                if ((n & 0x7FFF) <= 0x7BFF && (n & 0x8000) == (r & 0x8000) && n >= 0) {
                    assertTrue(err <= Math.abs((double) h(n) - f), () -> "not nearest for " + f);
                }
            }
        }
    }

    @Test
    void bf16KnownValues() {
        assertEquals(1.0f, Float16.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.5f, Float16.bf16ToFloat((short) 0xC020));
        assertEquals(Float.POSITIVE_INFINITY, Float16.bf16ToFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.bf16ToFloat((short) 0xFF80));
        assertTrue(Float.isNaN(Float16.bf16ToFloat((short) 0x7FC0)));
        assertEquals(Float.intBitsToFloat(0x00010000), Float16.bf16ToFloat((short) 0x0001)); // tiny subnormal
        assertEquals(0x1p-133f, Float16.bf16ToFloat((short) 0x0001));
        assertEquals(0x7F7F, Float16.floatToBf16(Float.intBitsToFloat(0x7F7F0000)) & 0xFFFF);
        assertEquals(0x3F80, Float16.floatToBf16(1.0f) & 0xFFFF);
        assertEquals(0x3F80, Float16.floatToBf16(Float.intBitsToFloat(0x3F808000)) & 0xFFFF); // tie to even
        assertEquals(0x3F82, Float16.floatToBf16(Float.intBitsToFloat(0x3F818000)) & 0xFFFF); // tie, odd -> up
        assertEquals(0x3F81, Float16.floatToBf16(Float.intBitsToFloat(0x3F808001)) & 0xFFFF);
        assertEquals(0x7F80, Float16.floatToBf16(Float.MAX_VALUE) & 0xFFFF); // rounds to infinity
        assertTrue(Float.isNaN(Float16.bf16ToFloat(Float16.floatToBf16(Float.NaN))));
        assertTrue(Float.isNaN(Float16.bf16ToFloat(Float16.floatToBf16(Float.intBitsToFloat(0x7F800001)))));
    }
}
