package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/cnnbench/cnnbench/report"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table is a header and rows of typed cells, rendered as an aligned text
// table, CSV or a JSON array of objects.
type table struct {
	header []string
	rows   [][]any
}

func checkFormat(f string) error {
	switch f {
	case "table", "csv", "json":
		return nil
	}
	return usageError{fmt.Errorf("-format %q: want table, csv or json", f)}
}

func (t *table) add(cells ...any) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		for _, r := range t.rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = plain(c)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	case "json":
		objs := make([]map[string]any, len(t.rows))
		for i, r := range t.rows {
			o := make(map[string]any, len(r))
			for j, c := range r {
				if c == nil {
					o[t.header[j]] = nil
					continue
				}
				o[t.header[j]] = c
			}
			objs[i] = o
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(orderedRows{t.header, objs})
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(t.header, "\t")+"\t")
		for _, r := range t.rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = pretty(c)
			}
			fmt.Fprintln(tw, strings.Join(rec, "\t")+"\t")
		}
		return tw.Flush()
	}
}

// orderedRows marshals rows as objects whose keys keep the header order.
type orderedRows struct {
	header []string
	rows   []map[string]any
}

func (o orderedRows) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range o.rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("{")
		for j, h := range o.header {
			if j > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(h)
			v, err := json.Marshal(r[h])
			if err != nil {
				return nil, err
			}
			b.Write(k)
			b.WriteString(":")
			b.Write(v)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	return []byte(b.String()), nil
}

// plain renders a cell for CSV: exact integers, empty for missing.
func plain(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// pretty renders a cell for the text table: integers with thousands separators.
func pretty(c any) string {
	switch v := c.(type) {
	case nil:
		return "-"
	case int64:
		return commas(v)
	case int:
		return commas(int64(v))
	case float64:
		return si(v)
	default:
		return fmt.Sprint(v)
	}
}

// si prints a reported number with an SI suffix and its own digits:
// 1.33e8 → "133M", 3.8e9 → "3.8G", 0.95 → "0.95".
func si(v float64) string {
	units := []struct {
		scale float64
		sym   string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "K"}}
	for _, u := range units {
		if math.Abs(v) >= u.scale {
			return strconv.FormatFloat(v/u.scale, 'g', 5, 64) + u.sym
		}
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}

// commas prints an integer with thousands separators.
func commas(v int64) string { return report.Commas(v) }
