package org.exmerge.search;

import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's plots, drawn headless with XChart: score vs α per checkpoint with the checkpoint's own
 * score dashed (the paper's Figure 5), score vs β with SFT-1/2 and EXPO-1/2 dashed (its Figure 6),
 * and for M3 score vs λ.
 */
final class Plots {
    private Plots() {}

    /** Draws the plots this outcome has; returns their file names (relative to the working directory). */
    static List<String> draw(SearchOutcome o, Path workdir) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        List<String> out = new ArrayList<>();
        if (o.kind().equals("exme")) {
            XYChart a = alpha(o);
            if (a != null) {
                save(a, workdir.resolve("alpha.png"));
                out.add("alpha.png");
            }
            XYChart b = beta(o);
            if (b != null) {
                save(b, workdir.resolve("beta.png"));
                out.add("beta.png");
            }
        } else {
            XYChart l = lambda(o);
            if (l != null) {
                save(l, workdir.resolve("lambda.png"));
                out.add("lambda.png");
            }
        }
        return out;
    }

    private static XYChart chart(String title, String x, List<Double> ys) {
        XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(x).yAxisTitle("score (higher is better)").build();
        org.knowm.xchart.style.XYStyler s = c.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setPlotBackgroundColor(java.awt.Color.WHITE);
        s.setPlotGridLinesColor(new java.awt.Color(225, 225, 225));
        s.setChartTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 16));
        double max = ys.stream().mapToDouble(Math::abs).max().orElse(1);
        if (max > 0 && max < 1e-2) {
            c.getStyler().setYAxisDecimalPattern("0.000E0");
        }
        return c;
    }

    private static XYChart alpha(SearchOutcome o) {
        Map<String, String> labels = Recipes.labels(o.stages());
        List<Result> expo = o.stages().getOrDefault(ExmeSearch.EXPO, List.of());
        Map<String, List<Result>> by = new LinkedHashMap<>();
        for (Result r : expo) {
            if (r != null && r.ok()) {
                by.computeIfAbsent((String) r.candidate().params().get("checkpoint"), k -> new ArrayList<>()).add(r);
            }
        }
        if (by.isEmpty()) {
            return null;
        }
        List<Double> all = new ArrayList<>();
        by.values().forEach(rs -> rs.forEach(r -> all.add(r.value())));
        Map<String, Double> own = new LinkedHashMap<>();
        for (Result r : o.stages().getOrDefault(ExmeSearch.SFT, List.of())) {
            if (r != null && r.ok() && by.containsKey(r.candidate().params().get("checkpoint"))) {
                own.put((String) r.candidate().params().get("checkpoint"), r.value());
                all.add(r.value());
            }
        }
        XYChart c = chart("ExMe stage 2: score of EXPO(checkpoint, α) = x + α·(x − base)", "extrapolation α", all);
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (List<Result> rs : by.values()) {
            for (Result r : rs) {
                double a = (Double) r.candidate().params().get("alpha");
                lo = Math.min(lo, a);
                hi = Math.max(hi, a);
            }
        }
        java.awt.Color[] palette = {new java.awt.Color(31, 119, 180), new java.awt.Color(214, 39, 40),
            new java.awt.Color(44, 160, 44), new java.awt.Color(148, 103, 189), new java.awt.Color(255, 127, 14)};
        int at = 0;
        for (Map.Entry<String, List<Result>> e : by.entrySet()) {
            java.awt.Color color = palette[at++ % palette.length];
            String name = labels.getOrDefault(e.getKey(), Recipes.name(Path.of(e.getKey())));
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Result r : e.getValue()) {
                x.add((Double) r.candidate().params().get("alpha"));
                y.add(r.value());
            }
            XYSeries s = c.addSeries("EXPO(" + name + ")", x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(color);
            s.setMarkerColor(color);
            Double mine = own.get(e.getKey());
            if (mine != null) {
                XYSeries d = c.addSeries(name + " as is", List.of(lo, hi), List.of(mine, mine));
                d.setMarker(SeriesMarkers.NONE);
                d.setLineStyle(SeriesLines.DASH_DASH);
                d.setLineColor(color);
            }
        }
        return c;
    }

    private static XYChart beta(SearchOutcome o) {
        Map<String, String> labels = Recipes.labels(o.stages());
        List<Result> exme = o.stages().getOrDefault(ExmeSearch.EXME, List.of()).stream().filter(r -> r != null && r.ok()).toList();
        if (exme.isEmpty()) {
            return null;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Result r : exme) {
            x.add((Double) r.candidate().params().get("beta"));
            y.add(r.value());
        }
        double lo = x.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = x.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        Map<String, Double> refs = new LinkedHashMap<>();
        List<Result> sft = ExmeSearch.ranked(o.stages().getOrDefault(ExmeSearch.SFT, List.of()));
        for (int i = 0; i < Math.min(2, sft.size()); i++) {
            refs.put("SFT-" + (i + 1) + " (" + sft.get(i).candidate().label() + ")", sft.get(i).value());
        }
        Map<String, Object> p = exme.getFirst().candidate().params();
        List<Result> expo = o.stages().getOrDefault(ExmeSearch.EXPO, List.of());
        for (int k = 1; k <= 2; k++) {
            String ckpt = (String) p.get("checkpoint_" + k);
            Double alpha = (Double) p.get("alpha_" + k);
            for (Result r : expo) {
                if (r != null && r.ok() && ckpt.equals(r.candidate().params().get("checkpoint"))
                        && alpha.equals(r.candidate().params().get("alpha"))) {
                    refs.put("EXPO-" + k + " (" + labels.getOrDefault(ckpt, Recipes.name(Path.of(ckpt))) + ", α=" + Recipes.label(alpha) + ")", r.value());
                }
            }
        }
        List<Double> all = new ArrayList<>(y);
        all.addAll(refs.values());
        XYChart c = chart("ExMe stage 3: score of β·EXPO-1 + (1−β)·EXPO-2", "merging β (weight of EXPO-1)", all);
        XYSeries s = c.addSeries("ExMe candidates", x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineWidth(2.5f);
        for (Map.Entry<String, Double> e : refs.entrySet()) {
            XYSeries d = c.addSeries(e.getKey(), List.of(lo, hi), List.of(e.getValue(), e.getValue()));
            d.setMarker(SeriesMarkers.NONE);
            d.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        return c;
    }

    private static XYChart lambda(SearchOutcome o) {
        List<Result> rs = o.stages().getOrDefault(M3Search.STAGE, List.of()).stream().filter(r -> r != null && r.ok())
                .sorted(java.util.Comparator.comparingDouble(r -> (Double) r.candidate().params().get("lambda"))).toList();
        if (rs.isEmpty()) {
            return null;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Result r : rs) {
            x.add((Double) r.candidate().params().get("lambda"));
            y.add(r.value());
        }
        XYChart c = chart("M3: score of each candidate vs its drawn λ (weights λ, 1−λ)", "λ (weight of the first model)", y);
        c.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(10);
        XYSeries all = c.addSeries("candidates", x, y);
        all.setMarker(SeriesMarkers.CIRCLE);
        all.setMarkerColor(new java.awt.Color(31, 119, 180));
        Result w = o.winner();
        XYSeries win = c.addSeries("winner", List.of((Double) w.candidate().params().get("lambda")), List.of(w.value()));
        win.setMarker(SeriesMarkers.DIAMOND);
        win.setMarkerColor(new java.awt.Color(214, 39, 40));
        return c;
    }

    private static void save(XYChart c, Path file) throws IOException {
        SearchFiles.requireOwn(file);
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(c, png, BitmapEncoder.BitmapFormat.PNG);
        SearchFiles.write(file, marked(png.toByteArray()), false);
    }

    /**
     * The PNG with a text chunk {@link SearchFiles#PLOT_MARK} right after its header chunk, so a
     * later run knows the file as its own.
     */
    static byte[] marked(byte[] png) {
        int ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, then IHDR: length, type, 13 bytes of data, CRC
        byte[] data = ("tEXt" + SearchFiles.PLOT_MARK).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(png.length + data.length + 8);
        b.put(png, 0, ihdrEnd).putInt(data.length - 4).put(data).putInt((int) crc.getValue());
        b.put(png, ihdrEnd, png.length - ihdrEnd);
        return b.array();
    }
}
