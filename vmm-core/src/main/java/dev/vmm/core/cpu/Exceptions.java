package dev.vmm.core.cpu;

/** Exception vectors and their classes (Intel SDM vol. 3, 6.15 and table 6-5). */
public final class Exceptions {
    private Exceptions() {
    }

    public static final int DE = 0;
    public static final int DB = 1;
    public static final int NMI = 2;
    public static final int BP = 3;
    public static final int OF = 4;
    public static final int BR = 5;
    public static final int UD = 6;
    public static final int NM = 7;
    public static final int DF = 8;
    public static final int TS = 10;
    public static final int NP = 11;
    public static final int SS = 12;
    public static final int GP = 13;
    public static final int PF = 14;
    public static final int MF = 16;
    public static final int AC = 17;
    public static final int MC = 18;
    public static final int XM = 19;

    private static final String[] NAMES = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO",
        "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};

    public static String name(int vector) {
        return vector < NAMES.length ? NAMES[vector] : "#" + vector;
    }

    /** True for exceptions that push an error code. */
    public static boolean hasErrorCode(int vector) {
        return vector == DF || (vector >= TS && vector <= PF) || vector == AC;
    }

    /** Contributory exceptions: #DE, #TS, #NP, #SS, #GP. */
    static boolean contributory(int vector) {
        return vector == DE || (vector >= TS && vector <= GP);
    }
}
