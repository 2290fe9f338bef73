package dev.vmm.devices.vga;

/**
 * Code page 437, the character set of the VGA's default font, mapped to Unicode. Codes 0x01-0x1F
 * and 0x7F are the font's pictures (smileys, card suits, arrows, the house), not control
 * characters, so a rendered screen never carries a control code; 0x00 and 0xFF show as spaces.
 */
public final class Cp437 {
    private static final String TABLE =
            // 0x00-0x1F: the pictures of the low codes
            " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼"
            // 0x20-0x7F: ASCII, with the house at 0x7F
            + " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"
            + "`abcdefghijklmnopqrstuvwxyz{|}~⌂"
            // 0x80-0xFF
            + "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»"
            + "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"
            + "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00A0";

    static {
        if (TABLE.length() != 256) {
            throw new ExceptionInInitializerError("CP437 table has " + TABLE.length() + " entries");
        }
    }

    private Cp437() {
    }

    /** The Unicode character shown for CP437 code {@code code} (0-255). */
    public static char toUnicode(int code) {
        char c = TABLE.charAt(code & 0xFF);
        return c == '\u00A0' ? ' ' : c;
    }

    /** The Unicode string of CP437 bytes. */
    public static String decode(byte[] codes) {
        StringBuilder sb = new StringBuilder(codes.length);
        for (byte b : codes) {
            sb.append(toUnicode(b));
        }
        return sb.toString();
    }
}
