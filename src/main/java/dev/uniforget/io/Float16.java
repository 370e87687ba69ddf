package dev.uniforget.io;

/**
 * Conversions between {@code float} and the 16-bit formats IEEE binary16 (F16) and bfloat16
 * (BF16), with round-to-nearest-even. Java 17 has no {@code Float.floatToFloat16}.
 */
public final class Float16 {
    private static final float[] HALF_TO_FLOAT = new float[1 << 16];

    static {
        for (int i = 0; i < HALF_TO_FLOAT.length; i++) {
            HALF_TO_FLOAT[i] = decodeHalf(i);
        }
    }

    private Float16() {}

    /** F16 bits (low 16 bits of {@code h}) to float; exact. */
    public static float halfToFloat(short h) {
        return HALF_TO_FLOAT[h & 0xFFFF];
    }

    /** Float to F16 bits, rounding to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (mant == 0 ? sign | 0x7C00 : sign | 0x7E00 | (mant >>> 13));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) { // F16 subnormal or zero
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000;
            return (short) (sign | roundShift(m, 14 - e));
        }
        // (e << 10) + mantissa: a rounding carry correctly bumps the exponent (up to infinity)
        return (short) (sign | ((e << 10) + roundShift(mant, 13)));
    }

    /** BF16 bits (low 16 bits of {@code b}) to float; exact. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Float to BF16 bits, rounding to nearest even; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static int roundShift(int value, int shift) {
        int result = value >>> shift;
        int rem = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (result & 1) == 1)) {
            result++;
        }
        return result;
    }

    private static float decodeHalf(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
