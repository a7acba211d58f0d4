import streamlit as st

st.title("mes_locaux")
