package org.exmerge.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.exmerge.text.Plain;
import picocli.CommandLine;

/** Byte sizes as users write them: 5GB, 500M, 1.5GiB, 4096. SI units are powers of 10, *iB of 2. */
final class Sizes implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?)b?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size (e.g. 5GB, 500MB, 1GiB, 4096)");
        }
        int power = m.group(2).isEmpty() ? 0 : "kmgt".indexOf(m.group(2)) + 1; // a bare number is bytes
        double unit = Math.pow(m.group(3).isEmpty() ? 1000 : 1024, power);
        double bytes = Double.parseDouble(m.group(1)) * unit;
        if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
            throw new CommandLine.TypeConversionException("'" + value + "' is out of range");
        }
        return (long) bytes;
    }

    static String human(double bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        int u = 0;
        while (bytes >= 1000 && u < units.length - 1) {
            bytes /= 1000;
            u++;
        }
        return Plain.format(u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
    }
}
