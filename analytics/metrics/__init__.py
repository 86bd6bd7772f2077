"""Single definitions of the numbers pages, report and scorecard show: frames in, frames or values out."""
