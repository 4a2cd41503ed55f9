/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Charts as inline SVG, for the HTML report: no script, no external asset;
 * every text is escaped, so each <svg> is well-formed XML. */

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

/**
 * XaSvgChart:
 * @id: the <svg> element's id
 * @title: what it shows, for its <title> and readers
 * @y_unit: the unit of the values, beside the y axis
 * @n_series: how many series
 * @series: (array length=n_series): their names, for the legend
 * @n_stacked: the first @n_stacked series are stacked; the others are
 *   drawn each from the axis, narrower, over the stack
 * @n_points: how many points (bars, or times)
 * @x_labels: (array length=n_points): each point's label; only the first,
 *   the middle and the last are shown
 * @values: (array): @n_points rows of @n_series values
 * @empty: what the chart says when @n_points is 0
 * @at: (nullable) (array length=n_points): where each point stands along
 *   the x axis, 0 … 1 (its time); %NULL spreads them evenly
 */
typedef struct {
  const gchar *id;
  const gchar *title;
  const gchar *y_unit;
  guint n_series;
  const gchar *const *series;
  guint n_stacked;
  guint n_points;
  const gchar *const *x_labels;
  const gdouble *values;
  const gchar *empty;
  const gdouble *at;
} XaSvgChart;

void xa_svg_stacked_area (FILE             *out,
                          const XaSvgChart *chart);
void xa_svg_bars (FILE             *out,
                  const XaSvgChart *chart);

G_END_DECLS
