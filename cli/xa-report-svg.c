/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-report-svg.h"

/* The drawing: a 960 × 320 box, the plot inside these margins. */
#define XA_SVG_WIDTH 960.0
#define XA_SVG_HEIGHT 250.0
#define XA_SVG_LEFT 72.0
#define XA_SVG_RIGHT 16.0
#define XA_SVG_TOP 36.0
#define XA_SVG_BOTTOM 40.0
#define XA_SVG_PLOT_W (XA_SVG_WIDTH - XA_SVG_LEFT - XA_SVG_RIGHT)
#define XA_SVG_PLOT_H (XA_SVG_HEIGHT - XA_SVG_TOP - XA_SVG_BOTTOM)
/* The x axis shows a label in the middle only this far from both ends. */
#define XA_SVG_LABEL_GAP 120.0
/* A bar of a chart of few is no wider than this. */
#define XA_SVG_BAR_MAX 48.0

/* Colours that stay apart in print and for most colour-blind readers. */
static const gchar *const xa_svg_colours[] = {
  "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
  "#ff9da7", "#bab0ac",
};

static const gchar *
xa_svg_colour (guint series)
{
  return xa_svg_colours[series % G_N_ELEMENTS (xa_svg_colours)];
}

/* @text, escaped for XML, to @out. */
static void
xa_svg_text (FILE *out, const gchar *text)
{
  g_autofree gchar *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  fputs (escaped, out);
}

/* The top of the stack at point @i; overlays stand alone. */
static gdouble
xa_svg_point_max (const XaSvgChart *chart, guint i)
{
  gdouble stack = 0;
  gdouble most = 0;

  for (guint s = 0; s < chart->n_series; s++) {
    gdouble value = MAX (chart->values[(gsize) i * chart->n_series + s], 0);

    if (s < chart->n_stacked)
      stack += value;
    else
      most = MAX (most, value);
  }
  return MAX (stack, most);
}

static gdouble
xa_svg_max (const XaSvgChart *chart)
{
  gdouble most = 0;

  for (guint i = 0; i < chart->n_points; i++)
    most = MAX (most, xa_svg_point_max (chart, i));
  return most > 0 ? most : 1;
}

static gdouble
xa_svg_y (gdouble value, gdouble max)
{
  return XA_SVG_TOP + XA_SVG_PLOT_H * (1.0 - value / max);
}

/* Point @i's x: where @chart->at puts it, else @step after the last. */
static gdouble
xa_svg_x (const XaSvgChart *chart, guint i, gdouble x_first, gdouble step)
{
  return chart->at != NULL ? XA_SVG_LEFT + XA_SVG_PLOT_W * chart->at[i] : x_first + step * i;
}

static void
xa_svg_legend (FILE *out, const XaSvgChart *chart)
{
  gdouble x = XA_SVG_LEFT;

  for (guint s = 0; s < chart->n_series; s++) {
    fprintf (out, "<rect x=\"%.1f\" y=\"10\" width=\"12\" height=\"12\" fill=\"%s\"/>"
             "<text x=\"%.1f\" y=\"21\">", x, xa_svg_colour (s), x + 16);
    xa_svg_text (out, chart->series[s]);
    fputs ("</text>", out);
    x += 28 + 7.5 * (gdouble) g_utf8_strlen (chart->series[s], -1);
  }
}

/* The y axis (0, half, max) and the x labels: first, middle, last. */
static void
xa_svg_axes (FILE *out, const XaSvgChart *chart, gdouble max, gdouble x_first, gdouble x_step)
{
  guint marks[] = { 0, chart->n_points / 2, chart->n_points > 0 ? chart->n_points - 1 : 0 };
  const gchar *anchors[] = { "start", "middle", "end" };

  for (guint k = 0; k <= 2; k++) {
    gdouble value = max * k / 2.0;
    gdouble y = xa_svg_y (value, max);

    fprintf (out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>"
             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>", XA_SVG_LEFT, y,
             XA_SVG_WIDTH - XA_SVG_RIGHT, y, XA_SVG_LEFT - 6, y + 4, value);
  }
  fprintf (out, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" "
           "text-anchor=\"middle\">", XA_SVG_TOP + XA_SVG_PLOT_H / 2,
           XA_SVG_TOP + XA_SVG_PLOT_H / 2);
  xa_svg_text (out, chart->y_unit);
  fputs ("</text>", out);
  for (guint k = 0; k < G_N_ELEMENTS (marks) && chart->n_points > 0; k++) {
    gdouble x = xa_svg_x (chart, marks[k], x_first, x_step);

    /* a label too near the first or the last would run into it */
    if ((k > 0 && marks[k] == marks[k - 1]) ||
        (k == 1 && (x - xa_svg_x (chart, 0, x_first, x_step) < XA_SVG_LABEL_GAP ||
                    xa_svg_x (chart, marks[2], x_first, x_step) - x < XA_SVG_LABEL_GAP)))
      continue;
    fprintf (out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
             x, XA_SVG_HEIGHT - 14,
             chart->n_points == 1 ? "middle" : anchors[k]);
    xa_svg_text (out, chart->x_labels[marks[k]]);
    fputs ("</text>", out);
  }
}

static void
xa_svg_begin (FILE *out, const XaSvgChart *chart)
{
  fputs ("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" id=\"", out);
  xa_svg_text (out, chart->id);
  fprintf (out, "\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, sans-serif\" "
           "font-size=\"12\"><title>", XA_SVG_WIDTH, XA_SVG_HEIGHT);
  xa_svg_text (out, chart->title);
  fputs ("</title>", out);
  xa_svg_legend (out, chart);
  if (chart->n_points == 0) {
    fprintf (out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
             XA_SVG_LEFT + XA_SVG_PLOT_W / 2, XA_SVG_TOP + XA_SVG_PLOT_H / 2);
    xa_svg_text (out, chart->empty);
    fputs ("</text>", out);
  }
}

/* Where point @i's value ends: the next point, or the plot's end. */
static gdouble
xa_svg_step_end (const XaSvgChart *chart, const gdouble *xs, guint i)
{
  return i + 1 < chart->n_points ? xs[i + 1] : XA_SVG_LEFT + XA_SVG_PLOT_W;
}

/* Series @s on top of @below (updated to its top): a step from each
 * point to the next, as memory stays what a snapshot saw until the next. */
static void
xa_svg_area (FILE *out, const XaSvgChart *chart, guint s, const gdouble *xs, gdouble *below,
             gdouble max)
{
  g_autofree gdouble *above = g_new0 (gdouble, chart->n_points);

  fprintf (out, "<polygon fill=\"%s\" fill-opacity=\"0.85\" points=\"", xa_svg_colour (s));
  for (guint i = 0; i < chart->n_points; i++) {
    above[i] = below[i] + MAX (chart->values[(gsize) i * chart->n_series + s], 0);
    fprintf (out, "%.1f,%.1f %.1f,%.1f ", xs[i], xa_svg_y (above[i], max),
             xa_svg_step_end (chart, xs, i), xa_svg_y (above[i], max));
  }
  for (guint i = chart->n_points; i > 0; i--)
    fprintf (out, "%.1f,%.1f %.1f,%.1f ", xa_svg_step_end (chart, xs, i - 1),
             xa_svg_y (below[i - 1], max), xs[i - 1], xa_svg_y (below[i - 1], max));
  fputs ("\"/>", out);
  memcpy (below, above, sizeof (gdouble) * chart->n_points);
}

/**
 * xa_svg_stacked_area:
 * @out: where the <svg> goes
 * @chart: what it shows: its points in time order
 *
 * A stacked area per series (all of them stacked), in steps.
 */
void
xa_svg_stacked_area (FILE *out, const XaSvgChart *chart)
{
  gdouble max = xa_svg_max (chart);
  gdouble step = chart->n_points > 1 ? XA_SVG_PLOT_W / (chart->n_points - 1) : 0;
  g_autofree gdouble *below = g_new0 (gdouble, MAX (chart->n_points, 1));
  g_autofree gdouble *xs = g_new0 (gdouble, MAX (chart->n_points, 1));

  for (guint i = 0; i < chart->n_points; i++)
    xs[i] = xa_svg_x (chart, i, XA_SVG_LEFT, step);
  xa_svg_begin (out, chart);
  for (guint s = 0; s < chart->n_series && chart->n_points > 0; s++)
    xa_svg_area (out, chart, s, xs, below, max);
  xa_svg_axes (out, chart, max, XA_SVG_LEFT, step);
  fputs ("</svg>\n", out);
}

/* One bar: its stacked series, then the others over it, narrower. */
static void
xa_svg_bar (FILE *out, const XaSvgChart *chart, guint i, gdouble max, gdouble slot)
{
  gdouble width = MIN (slot * 0.8, XA_SVG_BAR_MAX);
  gdouble x = XA_SVG_LEFT + slot * i + (slot - width) / 2;
  gdouble base = 0;

  for (guint s = 0; s < chart->n_series; s++) {
    gdouble value = MAX (chart->values[(gsize) i * chart->n_series + s], 0);
    gboolean stacked = s < chart->n_stacked;
    gdouble from = stacked ? base : 0;

    if (value <= 0)
      continue;
    fprintf (out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>",
             stacked ? x : x + width * 0.3, xa_svg_y (from + value, max),
             stacked ? width : width * 0.4, xa_svg_y (from, max) - xa_svg_y (from + value, max),
             xa_svg_colour (s));
    xa_svg_text (out, chart->x_labels[i]);
    fprintf (out, ": %.4g ", value);
    xa_svg_text (out, chart->series[s]);
    fputs ("</title></rect>", out);
    base += stacked ? value : 0;
  }
}

/**
 * xa_svg_bars:
 * @out: where the <svg> goes
 * @chart: what it shows: a bar a point
 *
 * Bars of the stacked series, the others over them.
 */
void
xa_svg_bars (FILE *out, const XaSvgChart *chart)
{
  gdouble max = xa_svg_max (chart);
  gdouble slot = chart->n_points > 0 ? XA_SVG_PLOT_W / chart->n_points : 0;

  xa_svg_begin (out, chart);
  for (guint i = 0; i < chart->n_points; i++)
    xa_svg_bar (out, chart, i, max, slot);
  xa_svg_axes (out, chart, max, XA_SVG_LEFT + slot / 2, slot);
  fputs ("</svg>\n", out);
}
